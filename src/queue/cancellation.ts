import type { RedisClient } from '../util/redis-client';
import type { Person } from '../runbook/job-envelope';

/**
 * Cancellation crosses processes: the bot records the request in Redis (so a job that starts or
 * resumes later still sees it) and publishes it (so the worker running the job aborts the
 * running step at once).
 */
export class CancelRequests {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.channel = `${prefix}:cancel`;
  }

  private key(jobId: string): string {
    return `${this.prefix}:cancel:${jobId}`;
  }

  async request(jobId: string, by: Person): Promise<void> {
    await this.redis.set(this.key(jobId), JSON.stringify(by), 'EX', 7 * 24 * 3600);
    await this.redis.publish(this.channel, jobId);
  }

  /** Who asked to cancel the job, or null. */
  async requestedBy(jobId: string): Promise<Person | null> {
    const raw = await this.redis.get(this.key(jobId));
    return raw ? (JSON.parse(raw) as Person) : null;
  }

  /**
   * Calls `onCancel(jobId)` for every cancel request published from now on. `subscriber` must be
   * a connection of its own (a subscribed Redis connection can do nothing else).
   */
  async listen(subscriber: RedisClient, onCancel: (jobId: string) => void): Promise<void> {
    subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.channel) onCancel(jobId);
    });
    await subscriber.subscribe(this.channel);
  }
}
