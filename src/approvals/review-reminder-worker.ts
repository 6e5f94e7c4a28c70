import { Queue, Worker } from 'bullmq';
import type { OpsdeckConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import type { MessageSink } from '../notify/message-sink';
import { QueueName } from '../queue/queue-names';
import { syncJobSchedulers } from '../queue/sync-job-schedulers';
import type { RedisClient } from '../util/redis-client';
import { remindReviews } from './emergency-review';
import type { EmergencyReviews } from './emergency-reviews';

const REMIND_JOB = 'remind';
const SCHEDULER_PREFIX = 'reviews:';

export interface ReviewReminderOptions {
  /** Needs `maxRetriesPerRequest: null` (BullMQ). */
  connection: RedisClient;
  prefix: string;
  config: OpsdeckConfig;
  reviews: EmergencyReviews;
  sink: MessageSink;
  logger: Logger;
}

/**
 * The reminder of open emergency reviews: one BullMQ job scheduler (`reviews:reminder`, every
 * `access.reviewReminderSeconds`; see syncJobSchedulers), upserted by every worker, and a worker
 * on the `reviews` queue posting the reminder, claimed in Redis per interval (remindReviews), so
 * any number of workers post it once.
 */
export async function startReviewReminder(
  options: ReviewReminderOptions,
): Promise<{ queue: Queue; close(): Promise<void> }> {
  const { connection, prefix, config, logger } = options;
  const queue = new Queue(QueueName.Reviews, { connection, prefix });
  await syncJobSchedulers(queue, SCHEDULER_PREFIX, REMIND_JOB, [
    { id: 'reminder', everyMs: config.access.reviewReminderSeconds * 1000, offsetMs: 0, data: {} },
  ]);
  const worker = new Worker(
    QueueName.Reviews,
    async (job) => {
      if (job.name !== REMIND_JOB) return false;
      return remindReviews({ config, reviews: options.reviews, outbox: options.sink }, Date.now());
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('failed', (_job, error) => logger.error({ err: error }, 'review reminder failed'));
  worker.on('error', (error) => logger.error({ err: error }, 'review reminder worker error'));
  return {
    queue,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
