import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { ApprovalStore } from '../approvals/approval-store';
import { MidRunApprovals } from '../approvals/mid-run-approval';
import { isTransientError } from './runbook-services';
import { LeftoverSweeper } from '../aws/leftover-sweeper';
import { AuditObserver } from '../queue/audit-observer';
import { migrateAtStartup } from '../audit/migrate-at-startup';
import { resolveFeeds } from '../config/feeds';
import { startFeedRelay } from '../feeds/feeds-worker';
import { createOpsRouter } from '../http/ops-routes';
import { registerQueueGauges } from '../queue/queue-gauges';
import { metricsObserver } from '../queue/metrics-observer';
import { createNotifyClient } from '../notify/slack-client';
import { JobThreadObserver } from '../queue/job-thread-observer';
import { createNotifyWorker } from '../notify/notify-worker';
import { createRunbookWorker } from '../queue/runbook-worker';
import { UserGroupMembership } from '../slack/user-group-membership';
import type { Runtime } from './runtime';
import { loadRunbooks } from './load-modules';

export interface RunningWorker {
  /** Port of the worker's /healthz and /metrics, or 0 when turned off. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Runs runbook jobs (their events to Slack, metrics and the audit trail), polls the status feeds
 * and relays their incidents, drains the Slack outbox and the audit spool; listens for cancel
 * requests.
 */
export async function startWorker(runtime: Runtime): Promise<RunningWorker> {
  const { config, logger } = runtime;
  const prefix = config.redis.prefix;
  const migrations = await migrateAtStartup(runtime.auditStore, logger);
  runtime.auditWriter.start();
  const slack = createNotifyClient(
    runtime.secrets.botToken ?? '',
    config.notify,
    config.slack.apiUrl,
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
      approvals: new ApprovalStore(runtime.redis, prefix),
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
    logger,
  });
  const notify = createNotifyWorker({
    connection: runtime.redis,
    prefix,
    client: slack,
    config: config.notify,
    logger,
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
  });
  const feeds = await startFeedRelay({
    connection: runtime.redis,
    prefix,
    feeds: resolveFeeds(config.feeds, config.slack.alertChannel),
    settings: config.feeds,
    sink: runtime.outbox,
    logger,
  });
  runbooks.on('failed', (job, error) =>
    logger.warn({ jobId: job?.id, err: error }, 'job ended unsuccessfully'),
  );
  runbooks.on('error', (error) => logger.error({ err: error }, 'runbook worker error'));
  notify.on('error', (error) => logger.error({ err: error }, 'notify worker error'));

  const subscriber = runtime.newRedisConnection();
  await runtime.cancels.listen(subscriber, (jobId) => {
    if (runbooks.cancelJob(jobId, 'cancelled'))
      logger.info({ jobId }, 'cancel delivered to running job');
  });

  void runbooks.run();
  await runbooks.waitUntilReady();

  let server: Server | undefined;
  if (config.http.workerPort > 0) {
    const web = express();
    registerQueueGauges([runtime.opsQueue, runtime.notifyQueue, feeds.queue]);
    web.use(
      createOpsRouter({
        checks: { redis: () => runtime.redis.ping(), audit: migrations.check },
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = web.listen(config.http.workerPort, config.http.host, () => resolve(s));
    });
  }
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
  logger.info({ concurrency: config.queue.concurrency }, 'worker ready');
  return {
    port: server ? (server.address() as AddressInfo).port : 0,
    async stop() {
      migrations.stop();
      await sweeper?.stop();
      server?.close();
      await Promise.all([runbooks.close(), notify.close(), feeds.close()]);
      // What the jobs left in the audit spool is written now if the store allows; else it stays
      // in Redis for the next process.
      await runtime.auditWriter.flush(5000);
      subscriber.disconnect();
    },
  };
}
