import type { RedisClient } from '../util/redis-client';

/**
 * Cross-process pacing of Slack calls: one "next free slot" per key (method and channel) kept in
 * Redis and handed out by a Lua script on Redis's clock, so every worker process shares it.
 * `reserve` books the next slot and answers how long to wait for it; `holdOff` moves the next
 * free slot to at least `ms` from now (Slack's Retry-After applies to every caller of the key).
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nextFree)
local after = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], after, 'PX', after - now + 60000)
return {slot - now, slot}
`;

const HOLD_OFF = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local after = math.max(nextFree, now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], after, 'PX', after - now + 60000)
return after - now
`;

export interface Slot {
  waitMs: number;
  at: number;
}

export class Pacer {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /**
   * Books the next slot of `method` on `scope` (a channel, or '*' for the workspace): how long to
   * wait for it, and when it is (epoch ms on Redis's clock). Booked slots of one key are always at
   * least `intervalMs` apart.
   */
  async reserve(method: string, scope: string, intervalMs: number): Promise<Slot> {
    const [waitMs, at] = (await this.redis.eval(
      RESERVE,
      1,
      this.key(method, scope),
      intervalMs,
    )) as [number, number];
    return { waitMs: Number(waitMs), at: Number(at) };
  }

  async holdOff(method: string, scope: string, ms: number): Promise<void> {
    await this.redis.eval(HOLD_OFF, 1, this.key(method, scope), ms);
  }

  private key(method: string, scope: string): string {
    return `${this.prefix}:outbox:pace:${method}:${scope}`;
  }
}
