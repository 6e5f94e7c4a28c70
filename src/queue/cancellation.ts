import type { RedisClient } from '../util/redis-client';
import type { Person } from '../runbook/job-envelope';
import { describeMacFailure, type WorkSigner } from '../util/work-signature';

/** A job's cancel request as read from Redis: none, one opsdeck wrote, or one it did not. */
export type CancelRequest =
  { kind: 'none' } | { kind: 'requested'; by: Person } | { kind: 'forged'; reason: string };

/**
 * Cancellation crosses processes: the bot records the request in Redis (so a job that starts or
 * resumes later still sees it) and publishes it (so the worker running the job aborts the
 * running step at once). The request carries a MAC over the job id and who asked: one written
 * to Redis by anyone else is no request (`read` says `forged`), and a published job id only
 * wakes the worker, which then reads the request.
 */
export class CancelRequests {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly signer: WorkSigner,
  ) {
    this.channel = `${prefix}:cancel`;
  }

  private key(jobId: string): string {
    return `${this.prefix}:cancel:${jobId}`;
  }

  async request(jobId: string, by: Person): Promise<void> {
    const mac = this.signer.sign('cancel', { jobId, by });
    await this.redis.set(this.key(jobId), JSON.stringify({ by, mac }), 'EX', 7 * 24 * 3600);
    await this.redis.publish(this.channel, jobId);
  }

  async read(jobId: string): Promise<CancelRequest> {
    const raw = await this.redis.get(this.key(jobId));
    if (raw === null) return { kind: 'none' };
    let stored: { by?: unknown; mac?: unknown };
    try {
      stored = JSON.parse(raw) as { by?: unknown; mac?: unknown };
    } catch {
      return { kind: 'forged', reason: 'the cancel request is not JSON' };
    }
    const check = this.signer.check('cancel', { jobId, by: stored?.by }, stored?.mac);
    if (!check.ok) return { kind: 'forged', reason: describeMacFailure(check.reason) };
    return { kind: 'requested', by: stored.by as Person };
  }

  /** Who asked to cancel the job, or null (also when the request in Redis is not authentic). */
  async requestedBy(jobId: string): Promise<Person | null> {
    const request = await this.read(jobId);
    return request.kind === 'requested' ? request.by : null;
  }

  /**
   * Calls `onCancel(jobId)` for every cancel request published from now on. `subscriber` must be
   * a connection of its own (a subscribed Redis connection can do nothing else). A published id
   * is only a hint: the caller reads the request (`read`) before acting on it.
   */
  async listen(subscriber: RedisClient, onCancel: (jobId: string) => void): Promise<void> {
    subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.channel) onCancel(jobId);
    });
    await subscriber.subscribe(this.channel);
  }
}
