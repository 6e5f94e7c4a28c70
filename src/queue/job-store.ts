import type { Job, JobType, Queue } from 'bullmq';
import type { OpsdeckConfig } from '../config/schema';
import type { CancelRequests } from './cancellation';
import type { JobEnvelope, Person } from '../runbook/job-envelope';
import type { WorkSigner } from '../util/work-signature';
import { signJob } from './signed-job';

export type OpsJob = Job<JobEnvelope, unknown, string>;

export interface JobSummary {
  id: string;
  state: JobType | 'unknown';
  summary: string;
  command: string;
  /** The command and target as access rules name them (`ops ping`; `restore-table`, `billing`). */
  commandName: string;
  target?: string;
  actor: Person;
  requestedAt: string;
  finishedAt?: number;
  failedReason?: string;
}

/** A job's state at a glance (`/ops jobs`, the Home tab). */
export const JOB_STATE_EMOJI: Readonly<Record<string, string>> = {
  active: ':hourglass_flowing_sand:',
  waiting: ':double_vertical_bar:',
  delayed: ':double_vertical_bar:',
  prioritized: ':double_vertical_bar:',
  completed: ':white_check_mark:',
  failed: ':x:',
};

export type CancelOutcome =
  | { kind: 'not-found' }
  | { kind: 'already-finished'; state: string }
  | { kind: 'removed-before-start' }
  | { kind: 'cancelling' };

/** The front door's view of the runbook queue: enqueue once, list, cancel. */
export class JobStore {
  constructor(
    private readonly queue: Queue<JobEnvelope, unknown, string>,
    private readonly cancels: CancelRequests,
    private readonly retention: OpsdeckConfig['queue']['retention'],
    /** Signs every job it adds (signed-job.ts): workers refuse jobs without a valid MAC. */
    private readonly signer: WorkSigner,
  ) {}

  /**
   * Adds the job, signed, unless one with the same id exists (a double submission); `created`
   * tells which. The engine retries steps itself and resumes after crashes, so BullMQ attempts
   * stay at 1.
   */
  async enqueue(envelope: JobEnvelope): Promise<{ job: OpsJob; created: boolean }> {
    const { jobId, runbook } = envelope.meta;
    const existing = await this.queue.getJob(jobId);
    if (existing) return { job: existing, created: false };
    const job = await this.queue.add(runbook, signJob(this.signer, envelope), {
      jobId,
      attempts: 1,
      removeOnComplete: {
        age: this.retention.completedAgeSeconds,
        count: this.retention.completedCount,
      },
      removeOnFail: { age: this.retention.failedAgeSeconds, count: this.retention.failedCount },
    });
    // Two concurrent deliveries may both pass getJob; BullMQ keeps the first one's job and
    // returns a local copy of ours either way, so ask Redis whose job it is.
    const stored = (await this.queue.getJob(jobId)) ?? job;
    return { job: stored, created: stored.data.meta.correlationId === envelope.meta.correlationId };
  }

  async get(jobId: string): Promise<OpsJob | undefined> {
    return this.queue.getJob(jobId);
  }

  /** Whether the job exists and has not ended (it is running, waiting, or waiting to retry). */
  async isRunning(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    return state !== 'completed' && state !== 'failed' && state !== 'unknown';
  }

  /** Running and waiting jobs first, then the most recent finished ones. */
  async list(recent = 10): Promise<JobSummary[]> {
    const open = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 49);
    const done = await this.queue.getJobs(['completed', 'failed'], 0, recent - 1);
    done.sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0));
    const jobs = [...open, ...done.slice(0, recent)];
    return Promise.all(jobs.map((job) => this.summarize(job)));
  }

  /**
   * The open jobs (running, waiting, delayed) up to `openLimit` with how many there are in all,
   * and the `finishedLimit` most recently finished ones.
   */
  async overview(
    openLimit: number,
    finishedLimit: number,
  ): Promise<{ open: JobSummary[]; openTotal: number; finished: JobSummary[] }> {
    const openStates = ['active', 'waiting', 'delayed', 'prioritized'] as const;
    // By state, one list each: the state is known without asking Redis job by job.
    const read = (states: readonly JobType[], limit: number) =>
      Promise.all(
        states.map(async (state) =>
          (await this.queue.getJobs([state], 0, Math.max(0, limit - 1))).map((job) =>
            this.summaryOf(job, state),
          ),
        ),
      );
    const [counts, open, done] = await Promise.all([
      this.queue.getJobCounts(...openStates),
      read(openStates, openLimit),
      read(['completed', 'failed'], finishedLimit),
    ]);
    const finished = done.flat().sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    return {
      open: open.flat().slice(0, openLimit),
      openTotal: Object.values(counts).reduce((sum, n) => sum + n, 0),
      finished: finished.slice(0, finishedLimit),
    };
  }

  async summarize(job: OpsJob): Promise<JobSummary> {
    return this.summaryOf(job, await job.getState());
  }

  private summaryOf(job: OpsJob, state: JobSummary['state']): JobSummary {
    const { meta } = job.data;
    return {
      id: job.id ?? meta.jobId,
      state,
      summary: meta.summary,
      command: meta.command,
      commandName: meta.commandName ?? meta.runbook,
      ...(meta.target !== undefined && { target: meta.target }),
      actor: meta.actor,
      requestedAt: meta.requestedAt,
      ...(job.finishedOn ? { finishedAt: job.finishedOn } : {}),
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  }

  /**
   * Cancels a job: one that has not started is removed; a running one is asked to stop (its
   * step is aborted and its cleanups run). The request is recorded first, so a job that starts
   * in between still sees it.
   */
  async cancel(jobId: string, by: Person): Promise<CancelOutcome> {
    const job = await this.queue.getJob(jobId);
    if (!job) return { kind: 'not-found' };
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return { kind: 'already-finished', state };
    await this.cancels.request(jobId, by);
    if (state !== 'active') {
      try {
        await job.remove();
        return { kind: 'removed-before-start' };
      } catch {
        // It was picked up in between: it is active now and will see the recorded request.
      }
    }
    return { kind: 'cancelling' };
  }
}
