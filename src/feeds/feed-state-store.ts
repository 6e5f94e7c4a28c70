import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient } from '../util/redis-client';
import type { Validators } from './conditional-get';

/**
 * Each feed's polling state in Redis, shared by every worker (and read by `/ops feeds`):
 *
 *   <prefix>:feeds:<feed>:state        hash: see FeedState
 *   <prefix>:feeds:<feed>:doc:<hash>   hash: etag, lastModified, bodyHash of one document
 *   <prefix>:feeds:<feed>:lock         the one poll allowed at a time (SET NX PX, token)
 *
 * The health transitions are single Lua scripts: of any number of workers, exactly one sees the
 * failure that crosses the report threshold, and exactly one sees the recovery after it.
 */

export interface FeedState {
  lastPollAt?: number;
  /** Last poll whose documents were read (changed or not). */
  lastOkAt?: number;
  /** Last time a document's content changed. */
  lastChangeAt?: number;
  /** The first successful poll: until then the feed is new (no history flood). */
  initializedAt?: number;
  /** Consecutive failed polls. */
  failures: number;
  failingSince?: number;
  lastError?: string;
  /** Polls are skipped until then (backoff, Retry-After). */
  nextPollAfter?: number;
  /** The outbox thread of the "feed is failing" message, while one is posted and not yet recovered. */
  reportedThread?: string;
}

export interface FailureReport {
  /** The outbox thread for the broken-feed message: this caller posts it. */
  thread: string;
  failingSince: number;
}

export interface Recovery {
  thread: string;
  failingSince: number;
  lastError: string;
}

const RECORD_FAILURE = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local since = redis.call('HGET', KEYS[1], 'failingSince')
if not since then
  since = ARGV[1]
  redis.call('HSET', KEYS[1], 'failingSince', since)
end
redis.call('HSET', KEYS[1], 'lastPollAt', ARGV[1], 'lastError', ARGV[2], 'nextPollAfter', ARGV[3])
if failures >= tonumber(ARGV[4]) and not redis.call('HGET', KEYS[1], 'reportedThread') then
  local thread = ARGV[5] .. ':' .. since
  redis.call('HSET', KEYS[1], 'reportedThread', thread)
  return { thread, since }
end
return false
`;

const RECORD_SUCCESS = `
local reported = redis.call('HMGET', KEYS[1], 'reportedThread', 'failingSince', 'lastError')
redis.call('HSET', KEYS[1], 'lastPollAt', ARGV[1], 'lastOkAt', ARGV[1], 'failures', 0)
redis.call('HDEL', KEYS[1], 'failingSince', 'lastError', 'nextPollAfter', 'reportedThread')
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'lastChangeAt', ARGV[1]) end
redis.call('HSETNX', KEYS[1], 'initializedAt', ARGV[1])
if reported[1] then return { reported[1], reported[2], reported[3] or '' } end
return false
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class FeedStateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async read(feed: string): Promise<FeedState> {
    const raw = await this.redis.hgetall(this.keys(feed).state);
    const num = (field: string) => (raw[field] ? Number(raw[field]) : undefined);
    const state: FeedState = { failures: num('failures') ?? 0 };
    for (const field of [
      'lastPollAt',
      'lastOkAt',
      'lastChangeAt',
      'initializedAt',
      'failingSince',
      'nextPollAfter',
    ] as const) {
      const value = num(field);
      if (value !== undefined) state[field] = value;
    }
    if (raw.lastError) state.lastError = raw.lastError;
    if (raw.reportedThread) state.reportedThread = raw.reportedThread;
    return state;
  }

  /** A token when this caller may poll the feed now; null while another poll holds it. */
  async lock(feed: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.keys(feed).lock, token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  async unlock(feed: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys(feed).lock, token);
  }

  async validators(feed: string, url: string): Promise<Validators> {
    const raw = await this.redis.hgetall(this.docKey(feed, url));
    return {
      ...(raw.etag ? { etag: raw.etag } : {}),
      ...(raw.lastModified ? { lastModified: raw.lastModified } : {}),
      ...(raw.bodyHash ? { bodyHash: raw.bodyHash } : {}),
    };
  }

  async saveValidators(feed: string, url: string, validators: Validators): Promise<void> {
    const key = this.docKey(feed, url);
    await this.redis
      .multi()
      .del(key)
      .hset(key, { ...validators })
      .exec();
  }

  /** Counts a failure; returns the report to post when this one crosses the threshold first. */
  async recordFailure(
    feed: string,
    input: { now: number; error: string; nextPollAfter: number; reportAfter: number },
  ): Promise<FailureReport | null> {
    const result = (await this.redis.eval(
      RECORD_FAILURE,
      1,
      this.keys(feed).state,
      input.now,
      input.error,
      input.nextPollAfter,
      input.reportAfter,
      `feed-health:${feed}`,
    )) as [string, string] | null;
    return result ? { thread: result[0], failingSince: Number(result[1]) } : null;
  }

  /** Records a good poll; returns the recovery to post when a failure had been reported. */
  async recordSuccess(
    feed: string,
    input: { now: number; changed: boolean },
  ): Promise<Recovery | null> {
    const result = (await this.redis.eval(
      RECORD_SUCCESS,
      1,
      this.keys(feed).state,
      input.now,
      input.changed ? '1' : '0',
    )) as [string, string, string] | null;
    return result
      ? { thread: result[0], failingSince: Number(result[1]), lastError: result[2] }
      : null;
  }

  private keys(feed: string) {
    const base = `${this.prefix}:feeds:${feed}`;
    return { state: `${base}:state`, lock: `${base}:lock` };
  }

  private docKey(feed: string, url: string): string {
    const hash = createHash('sha256').update(url).digest('hex').slice(0, 24);
    return `${this.prefix}:feeds:${feed}:doc:${hash}`;
  }
}
