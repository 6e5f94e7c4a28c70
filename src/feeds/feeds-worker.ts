import { Queue, Worker } from 'bullmq';
import type { RedisClient } from '../util/redis-client';
import type { Logger } from '../log/logger';
import { QueueName } from '../queue/queue-names';
import { POLL_JOB, syncFeedSchedulers, type PollJobData } from './feed-schedulers';
import { FeedStateStore } from './feed-state-store';
import type { FeedsConfig, ResolvedFeed } from '../config/feeds';
import { FeedParseProcess, parseProcessMemoryMb } from './parse-process';
import { pollFeed, type PollOutcome } from './poll-feed';
import { RelayStore } from './relay-store';
import { type MessageSink } from '../notify/message-sink';

export interface FeedRelayOptions {
  /** Needs `maxRetriesPerRequest: null` (BullMQ). */
  connection: RedisClient;
  prefix: string;
  feeds: readonly ResolvedFeed[];
  settings: FeedsConfig;
  /** The notify outbox: relay messages are ordered, paced and retried like every other. */
  sink: MessageSink;
  logger: Logger;
}

export interface FeedRelay {
  queue: Queue<PollJobData>;
  /** Null when no feed is configured (the schedulers are still cleaned up). */
  worker: Worker<PollJobData, PollOutcome> | null;
  close(): Promise<void>;
}

/**
 * The status feed relay of one worker process: the feeds' job schedulers brought in line with
 * the config, and a worker on the `feeds` queue running each poll (poll-feed.ts), documents
 * parsed in a process of its own (parse-process.ts). Any number of
 * worker processes may run it; the per-feed lock and the claims make them safe together.
 */
export async function startFeedRelay(options: FeedRelayOptions): Promise<FeedRelay> {
  const { connection, prefix, feeds, settings, logger } = options;
  const queue = new Queue<PollJobData>(QueueName.Feeds, { connection, prefix });
  await syncFeedSchedulers(queue, feeds);
  if (feeds.length === 0) return { queue, worker: null, close: () => queue.close() };

  const byName = new Map(feeds.map((feed) => [feed.name, feed]));
  const states = new FeedStateStore(connection, prefix);
  const relay = new RelayStore(connection, prefix);
  const parser = new FeedParseProcess({
    budgetMs: settings.parseTimeoutMs,
    maxMemoryMb: parseProcessMemoryMb(settings.maxBytes),
  });
  const shutdown = new AbortController();
  const worker = new Worker<PollJobData, PollOutcome>(
    QueueName.Feeds,
    async (job) => {
      const feed = byName.get(job.data.feed);
      if (job.name !== POLL_JOB || !feed) {
        // A job of a feed removed from this process's config (another process may still have it).
        logger.warn({ job: job.name, feed: job.data.feed }, 'poll of an unknown feed skipped');
        return 'unchanged';
      }
      return pollFeed(feed, {
        states,
        relay,
        parser,
        sink: options.sink,
        settings,
        logger,
        signal: shutdown.signal,
      });
    },
    { connection, prefix, concurrency: settings.concurrency },
  );
  worker.on('closing', () => shutdown.abort());
  worker.on('failed', (job, error) => {
    if (!shutdown.signal.aborted)
      logger.error({ err: error, feed: job?.data.feed }, 'feed poll job failed');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'feed worker error'));
  logger.info({ feeds: feeds.length }, 'status feed relay started');
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await parser.close();
      await queue.close();
    },
  };
}
