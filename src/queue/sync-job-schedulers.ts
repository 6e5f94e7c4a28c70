import type { Queue } from 'bullmq';

export interface ScheduledJob<T> {
  /** The scheduler's id under the caller's prefix (a feed's or a replica's name). */
  id: string;
  everyMs: number;
  offsetMs: number;
  data: T;
}

/**
 * One BullMQ job scheduler per entry (`<prefix><id>`, every `everyMs` at its own offset, each
 * firing a job named `jobName`), upserted by every worker at startup, so the config is the truth:
 * a changed interval replaces the schedule, and the prefix's schedulers of entries no longer
 * configured are removed. Upserting is idempotent, so any number of workers may do it at once.
 */
export async function syncJobSchedulers<T>(
  queue: Queue,
  prefix: string,
  jobName: string,
  jobs: readonly ScheduledJob<T>[],
): Promise<void> {
  for (const job of jobs) {
    await queue.upsertJobScheduler(
      `${prefix}${job.id}`,
      { every: job.everyMs, offset: job.offsetMs },
      {
        name: jobName,
        data: job.data,
        opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
      },
    );
  }
  const wanted = new Set(jobs.map((job) => `${prefix}${job.id}`));
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    const id = scheduler.key;
    if (id.startsWith(prefix) && !wanted.has(id)) await queue.removeJobScheduler(id);
  }
}
