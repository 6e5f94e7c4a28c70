import type { RedisClient } from '../util/redis-client';

/**
 * Deploys queued behind an app+environment's lock (`/deploy … --queue`), in the order they
 * started waiting:
 *
 *   <prefix>:deploy:waiting:<app>:<env>   sorted set: job id → when it started waiting (ms)
 *   <prefix>:deploy:waiter:<jobId>        a heartbeat with an expiry, renewed while it waits
 *
 * A waiter whose heartbeat expired (its worker died and no other resumed it) is dropped from the
 * line by the next look at it, so it never blocks the ones behind. A resumed job joins again at
 * its old place while that place is still there.
 */

export interface Waiter {
  jobId: string;
  /** Epoch ms. */
  since: number;
}

/** KEYS[1] the line; ARGV[1] the waiter key prefix. Drops the dead waiters, returns the line. */
const LINE = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local alive = {}
for i = 1, #members, 2 do
  if redis.call('EXISTS', ARGV[1] .. members[i]) == 1 then
    alive[#alive + 1] = members[i]
    alive[#alive + 1] = members[i + 1]
  else
    redis.call('ZREM', KEYS[1], members[i])
  end
end
return alive
`;

export class DeployWaitingLine {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Joins the line (at the end; at its old place when it is there already) or, for a waiter in
   * it, says it is still alive for `heartbeatMs`. Returns the waiters ahead of `jobId`.
   */
  async wait(app: string, env: string, jobId: string, heartbeatMs: number): Promise<Waiter[]> {
    await this.redis
      .multi()
      .set(this.waiterKey(jobId), '1', 'PX', heartbeatMs)
      .zadd(this.lineKey(app, env), 'NX', this.now(), jobId)
      .exec();
    const line = await this.line(app, env);
    return line.slice(
      0,
      line.findIndex((waiter) => waiter.jobId === jobId),
    );
  }

  async leave(app: string, env: string, jobId: string): Promise<void> {
    await this.redis.multi().zrem(this.lineKey(app, env), jobId).del(this.waiterKey(jobId)).exec();
  }

  /** The live waiters, first in line first. */
  async line(app: string, env: string): Promise<Waiter[]> {
    const flat = (await this.redis.eval(
      LINE,
      1,
      this.lineKey(app, env),
      this.waiterKey(''),
    )) as string[];
    const waiters: Waiter[] = [];
    for (let i = 0; i < flat.length; i += 2)
      waiters.push({ jobId: flat[i]!, since: Number(flat[i + 1]) });
    return waiters;
  }

  private lineKey(app: string, env: string): string {
    return `${this.prefix}:deploy:waiting:${app}:${env}`;
  }

  private waiterKey(jobId: string): string {
    return `${this.prefix}:deploy:waiter:${jobId}`;
  }
}
