import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Queue } from 'bullmq';
import { ApprovalStore } from '../approvals/approval-store';
import { MidRunApprovals } from '../approvals/mid-run-approval';
import { isTransientError } from './runbook-services';
import { LeftoverSweeper } from '../aws/leftover-sweeper';
import { createAnchoring } from '../audit/anchor/anchoring';
import { AnchorObserver } from '../queue/anchor-observer';
import { AuditObserver } from '../queue/audit-observer';
import { migrateAtStartup } from '../audit/migrate-at-startup';
import { resolveFeeds } from '../config/feeds';
import { startFeedRelay } from '../feeds/feeds-worker';
import { watchSchedules } from '../config/replica-watch';
import { startReplicaWatch } from '../replicas/replica-watch-worker';
import { startReviewReminder } from '../approvals/review-reminder-worker';
import { createOpsRouter, type HealthCheck } from '../http/ops-routes';
import { registerQueueGauges } from '../queue/queue-gauges';
import { metricsObserver } from '../queue/metrics-observer';
import { createNotifyClient } from '../notify/slack-client';
import { JobThreadObserver } from '../queue/job-thread-observer';
import { createNotifyWorker } from '../notify/notify-worker';
import { createRunbookWorker } from '../queue/runbook-worker';
import { WorkRefusals } from '../queue/work-refusals';
import { UserGroupMembership } from '../slack/user-group-membership';
import type { Runtime } from './runtime';
import { runsFeeds, runsRunbooks, type WorkerRole } from './worker-role';
import { loadRunbooks } from './load-modules';

export interface RunningWorker {
  /** Port of the worker's /healthz and /metrics, or 0 when turned off. */
  port: number;
  stop(): Promise<void>;
}

/**
 * The parts of a worker its role asks for (worker-role.ts). `runbooks`: runs runbook jobs (their
 * events to Slack, metrics and the audit trail), listens for cancel requests, drains the audit
 * spool, writes the signed audit digests (with `audit.anchor`), sweeps leftovers. `feeds`: polls
 * the status feeds and relays their incidents. Both drain the Slack outbox. /healthz and /metrics
 * are served on `http.workerPort`, or `http.feedsWorkerPort` for a feeds worker, so both fit on
 * one machine.
 */
export async function startWorker(
  runtime: Runtime,
  role: WorkerRole = 'all',
): Promise<RunningWorker> {
  const { config, logger } = runtime;
  const prefix = config.redis.prefix;
  const slack = createNotifyClient(
    runtime.secrets.botToken ?? '',
    config.notify,
    config.slack.apiUrl,
  );
  const runbooks = runsRunbooks(role) ? await startRunbooks(runtime, slack) : undefined;
  const notify = createNotifyWorker({
    connection: runtime.redis,
    prefix,
    client: slack,
    config: config.notify,
    logger,
    signer: runtime.secrets.workSigner,
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
  });
  notify.on('error', (error) => logger.error({ err: error }, 'notify worker error'));
  const feeds = runsFeeds(role)
    ? await startFeedRelay({
        connection: runtime.redis,
        prefix,
        feeds: resolveFeeds(config.feeds, config.slack.alertChannel),
        settings: config.feeds,
        sink: runtime.outbox,
        logger,
      })
    : undefined;
  // The replica watch runs beside the feeds: standing checks, off the runbooks' path.
  const replicaWatch = runsFeeds(role)
    ? await startReplicaWatch({
        connection: runtime.redis,
        prefix,
        schedules: watchSchedules(config.replicas, config.replicaWatch),
        config: config.replicaWatch,
        channel: config.replicaWatch.channel ?? config.slack.alertChannel,
        databases: runtime.databases,
        rds: runtime.aws.rds,
        sink: runtime.outbox,
        logger,
      })
    : undefined;

  // Emergencies waiting for review are reminded beside them.
  const reviewReminder = runsFeeds(role)
    ? await startReviewReminder({
        connection: runtime.redis,
        prefix,
        config,
        reviews: runtime.reviews,
        sink: runtime.outbox,
        logger,
      })
    : undefined;

  let server: Server | undefined;
  const port = role === 'feeds' ? config.http.feedsWorkerPort : config.http.workerPort;
  if (port > 0) {
    const web = express();
    const queues: Queue[] = [runtime.opsQueue, runtime.notifyQueue];
    if (feeds) queues.push(feeds.queue);
    if (replicaWatch) queues.push(replicaWatch.queue);
    if (reviewReminder) queues.push(reviewReminder.queue);
    registerQueueGauges(queues);
    web.use(
      createOpsRouter({
        checks: {
          redis: () => runtime.redis.ping(),
          // A runbooks worker writes the audit trail: its schema (and database) must be there.
          ...(runbooks && { audit: runbooks.auditReady }),
        },
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = web.listen(port, config.http.host, () => resolve(s));
    });
  }
  logger.info({ role, concurrency: config.queue.concurrency }, 'worker ready');
  return {
    port: server ? (server.address() as AddressInfo).port : 0,
    async stop() {
      server?.close();
      await Promise.all([
        runbooks?.stop(),
        notify.close(),
        feeds?.close(),
        replicaWatch?.close(),
        reviewReminder?.close(),
      ]);
    },
  };
}

/** The runbook side of a worker: jobs, cancels, the audit spool and the leftover sweep. */
async function startRunbooks(
  runtime: Runtime,
  slack: ReturnType<typeof createNotifyClient>,
): Promise<{ stop(): Promise<void>; auditReady: HealthCheck }> {
  const { config, logger } = runtime;
  const prefix = config.redis.prefix;
  // First: a worker that should sign audit digests and cannot does not start at all.
  const anchoring = createAnchoring({
    config,
    env: runtime.env,
    redis: runtime.redis,
    outbox: runtime.outbox,
    auditStore: runtime.auditStore,
    auditWriter: runtime.auditWriter,
    s3: () => runtime.aws.s3,
    logger,
  });
  const migrations = await migrateAtStartup(runtime.auditStore, logger);
  runtime.auditWriter.start();
  const refusals = new WorkRefusals(
    runtime.auditWriter,
    runtime.outbox,
    config.slack.alertChannel,
    logger,
  );
  const runbooks = createRunbookWorker({
    connection: runtime.redis,
    prefix,
    config,
    runbooks: loadRunbooks(),
    observers: [
      new JobThreadObserver(runtime.outbox, config.slack.alertChannel),
      metricsObserver,
      new AuditObserver(runtime.auditWriter, (jobId) => runtime.cancels.requestedBy(jobId)),
      ...(anchoring ? [new AnchorObserver(anchoring.scheduler)] : []),
    ],
    services: {
      config,
      redis: runtime.redis,
      redisPrefix: prefix,
      aws: runtime.aws,
      databases: runtime.databases,
      ...(runtime.deploys && { deploys: runtime.deploys }),
      cancels: runtime.cancels,
    },
    approvals: new MidRunApprovals({
      config,
      approvals: new ApprovalStore(runtime.redis, prefix, runtime.secrets.workSigner),
      outbox: runtime.outbox,
      audit: runtime.auditWriter,
      userGroups: new UserGroupMembership(slack, runtime.redis, prefix, {
        cacheSeconds: config.access.userGroupCacheSeconds,
        logger,
      }),
      cancels: runtime.cancels,
    }),
    isTransient: isTransientError,
    cancels: runtime.cancels,
    signer: runtime.secrets.workSigner,
    refusals,
    logger,
  });
  runbooks.on('failed', (job, error) =>
    logger.warn({ jobId: job?.id, err: error }, 'job ended unsuccessfully'),
  );
  runbooks.on('error', (error) => logger.error({ err: error }, 'runbook worker error'));

  const subscriber = runtime.newRedisConnection();
  // A published job id is a hint: the request in Redis must carry a valid MAC to cancel anything.
  await runtime.cancels.listen(subscriber, (jobId) => {
    void runtime.cancels
      .read(jobId)
      .then(async (request) => {
        if (request.kind === 'forged') {
          await refusals.reportCancel(jobId, request.reason);
        } else if (request.kind === 'requested' && runbooks.cancelJob(jobId, 'cancelled')) {
          logger.info({ jobId }, 'cancel delivered to running job');
        }
      })
      .catch((error: unknown) => logger.error({ err: error, jobId }, 'cancel request not read'));
  });

  void runbooks.run();
  await runbooks.waitUntilReady();

  // Only setups with databases run jobs that create cloud resources (restored instances, rules).
  const sweeper =
    Object.keys(config.databases).length > 0
      ? new LeftoverSweeper({
          aws: runtime.aws,
          redis: runtime.redis,
          prefix,
          outbox: runtime.outbox,
          channel: config.slack.alertChannel,
          intervalMs: config.restoreTable.sweepIntervalMinutes * 60_000,
          isRunning: (jobId) => runtime.jobs.isRunning(jobId),
          logger,
        })
      : undefined;
  sweeper?.start();
  anchoring?.scheduler.start();
  return {
    auditReady: migrations.check,
    async stop() {
      migrations.stop();
      await sweeper?.stop();
      await runbooks.close();
      // What the jobs left in the audit spool is written now if the store allows; else it stays
      // in Redis for the next process.
      await runtime.auditWriter.flush(5000);
      await anchoring?.scheduler.stop();
      subscriber.disconnect();
    },
  };
}
