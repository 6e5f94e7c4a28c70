import type { Queue } from 'bullmq';
import type { ResolvedFeed } from '../config/feeds';
import { syncJobSchedulers } from '../queue/sync-job-schedulers';

export const POLL_JOB = 'poll';
const SCHEDULER_PREFIX = 'feed:';

export interface PollJobData {
  feed: string;
}

/** One job scheduler per configured feed (`feed:<name>`; see syncJobSchedulers). */
export async function syncFeedSchedulers(
  queue: Queue<PollJobData>,
  feeds: readonly ResolvedFeed[],
): Promise<void> {
  await syncJobSchedulers(
    queue,
    SCHEDULER_PREFIX,
    POLL_JOB,
    feeds.map((feed) => ({
      id: feed.name,
      everyMs: feed.intervalMs,
      offsetMs: feed.offsetMs,
      data: { feed: feed.name },
    })),
  );
}
