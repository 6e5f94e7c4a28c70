import type { WebClient } from '@slack/web-api';
import { Worker } from 'bullmq';
import type { RedisClient } from '../util/redis-client';
import type { OpsdeckConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import type { WorkSigner } from '../util/work-signature';
import { type DrainJobData, NOTIFY_QUEUE } from './outbox-keys';
import { ThreadDrainer } from './thread-drainer';

export interface NotifyWorkerOptions {
  /** Needs `maxRetriesPerRequest: null` (BullMQ); also used for the outbox keys. */
  connection: RedisClient;
  /** The BullMQ prefix, also the prefix of the outbox keys: the same as the Outbox's. */
  prefix: string;
  /** Built with createNotifyClient: no retries of its own, 429s rejected with Retry-After. */
  client: WebClient;
  config: OpsdeckConfig['notify'];
  logger: Logger;
  /** Checks the outbox entries' MACs (see ThreadDrainer). */
  signer: WorkSigner;
  /** Threads drained at once by this process. */
  concurrency?: number;
  /**
   * How soon a crashed drainer's thread and drain job are taken over: the thread lock's TTL and
   * BullMQ's lock duration (queue.lockDurationMs), and BullMQ's stalled check interval.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/**
 * The consumer side of the outbox: a BullMQ worker on the 'notify' queue whose drain jobs send
 * each thread's messages in order (see ThreadDrainer). Any number of these may run, in any
 * number of processes; pacing and the per-thread lock are shared through Redis.
 *
 * Closing the worker interrupts drains that are waiting on Slack; their jobs fail and are retried
 * (by this worker if it comes back, or by another), the unsent messages stay in Redis.
 */
export function createNotifyWorker(options: NotifyWorkerOptions): Worker<DrainJobData> {
  const { connection, prefix, client, config, logger, signer } = options;
  const drainer = new ThreadDrainer({
    redis: connection,
    prefix,
    client,
    config,
    logger,
    signer,
    ...(options.lockDurationMs ? { lockTtlMs: options.lockDurationMs } : {}),
  });
  const shutdown = new AbortController();
  const worker = new Worker<DrainJobData>(
    NOTIFY_QUEUE,
    async (job) => drainer.drain(job.data.threadKey, shutdown.signal),
    {
      connection,
      prefix,
      concurrency: options.concurrency ?? 16,
      // A drain outlives a crashed worker: its job is resumed however often that happens.
      maxStalledCount: 100,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    },
  );
  worker.on('closing', () => shutdown.abort());
  worker.on('failed', (job, error) => {
    if (!shutdown.signal.aborted)
      logger.error({ err: error, threadKey: job?.data.threadKey }, 'notify drain failed');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'notify worker error'));
  return worker;
}
