import type { Queue } from 'bullmq';
import type { ResolvedFeed } from '../config/feeds';

export const POLL_JOB = 'poll';
const SCHEDULER_PREFIX = 'feed:';

export interface PollJobData {
  feed: string;
}

/**
 * One BullMQ job scheduler per configured feed (`feed:<name>`, every `intervalMs` at its own
 * offset), upserted by every worker at startup, so the config is the truth: a changed interval
 * replaces the schedule, and schedulers of feeds no longer configured are removed. Upserting is
 * idempotent, so any number of workers may do it at once.
 */
export async function syncFeedSchedulers(
  queue: Queue<PollJobData>,
  feeds: readonly ResolvedFeed[],
): Promise<void> {
  for (const feed of feeds) {
    await queue.upsertJobScheduler(
      `${SCHEDULER_PREFIX}${feed.name}`,
      { every: feed.intervalMs, offset: feed.offsetMs },
      {
        name: POLL_JOB,
        data: { feed: feed.name },
        opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
      },
    );
  }
  const wanted = new Set(feeds.map((feed) => `${SCHEDULER_PREFIX}${feed.name}`));
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    const id = scheduler.key;
    if (id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id)) await queue.removeJobScheduler(id);
  }
}
