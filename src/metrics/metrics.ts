import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of one process. Queue depth gauges are added by the process that owns
 * the queues (see src/metrics/queue-gauges.ts); everything else is counted where it happens.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'opsdeck_process_' });

export const stepDuration = new Histogram({
  name: 'opsdeck_step_duration_seconds',
  help: 'Duration of runbook steps, by runbook, step and outcome',
  labelNames: ['runbook', 'step', 'outcome'] as const,
  buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 14400],
  registers: [registry],
});

export const queueWait = new Histogram({
  name: 'opsdeck_queue_wait_seconds',
  help: 'Time from enqueue to the first start of a job, by queue',
  labelNames: ['queue'] as const,
  buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600],
  registers: [registry],
});

export const slackApiErrors = new Counter({
  name: 'opsdeck_slack_api_errors_total',
  help: 'Slack Web API calls that failed, by method and error',
  labelNames: ['method', 'error'] as const,
  registers: [registry],
});

export const slackApiRetries = new Counter({
  name: 'opsdeck_slack_api_retries_total',
  help: 'Slack Web API calls retried after a failure or a rate limit, by method',
  labelNames: ['method'] as const,
  registers: [registry],
});

export const commandsReceived = new Counter({
  name: 'opsdeck_commands_total',
  help: 'Slash commands received, by command and result (enqueued, usage-error, duplicate, ...)',
  labelNames: ['command', 'result'] as const,
  registers: [registry],
});

export const feedPolls = new Counter({
  name: 'opsdeck_feed_polls_total',
  help: 'Status feed polls, by feed and outcome (changed, unchanged, failed, backing-off, busy)',
  labelNames: ['feed', 'outcome'] as const,
  registers: [registry],
});

export const feedMessages = new Counter({
  name: 'opsdeck_feed_messages_total',
  help: 'Status feed messages queued for Slack, by feed and kind (root, reply, edit, health)',
  labelNames: ['feed', 'kind'] as const,
  registers: [registry],
});

export const auditDigests = new Counter({
  name: 'opsdeck_audit_digests_total',
  help: 'Audit digest attempts, by outcome (written, unchanged, failed, refused: the rows no longer extend the last digest)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const slackSocketEvents = new Counter({
  name: 'opsdeck_slack_socket_events_total',
  help: 'Socket Mode connection events: connected, replaced (Slack asked: warning, refresh_requested), link-disabled, dropped, attempt-failed',
  labelNames: ['event'] as const,
  registers: [registry],
});

export const slackSocketConnections = new Gauge({
  name: 'opsdeck_slack_socket_connections',
  help: 'Socket Mode connections open now (0: no command can arrive; 2 while one replaces another)',
  registers: [registry],
});

export const slackSocketAck = new Histogram({
  name: 'opsdeck_slack_socket_ack_seconds',
  help: 'Socket Mode: from receiving an envelope to sending its ack (Slack gives up after 3 s)',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
  registers: [registry],
});

export const workRefused = new Counter({
  name: 'opsdeck_work_refused_total',
  help: 'Records read from Redis without a valid MAC and refused, by kind (job, checkpoint, job-age, approval, approval-decision, cancel, outbox-entry, outbox-thread, audit-spool)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const replicaLagSeconds = new Gauge({
  name: 'opsdeck_replica_lag_seconds',
  help: "Replica watch: the replica's Seconds_Behind_Source at its last check (absent when unknown: a thread stopped, or unreachable)",
  labelNames: ['replica'] as const,
  registers: [registry],
});

export const replicaThreadsRunning = new Gauge({
  name: 'opsdeck_replica_threads_running',
  help: 'Replica watch: replication threads running at the last check (0, 1 or 2: IO and SQL)',
  labelNames: ['replica'] as const,
  registers: [registry],
});

export const replicaMarginSeconds = new Gauge({
  name: 'opsdeck_replica_margin_seconds',
  help: 'Replica watch: how long before the source purges the binary log the replica still needs (absent when unknown)',
  labelNames: ['replica'] as const,
  registers: [registry],
});

export const replicaChecks = new Counter({
  name: 'opsdeck_replica_checks_total',
  help: 'Replica watch checks, by replica and outcome (healthy, incidents, failed)',
  labelNames: ['replica', 'outcome'] as const,
  registers: [registry],
});
