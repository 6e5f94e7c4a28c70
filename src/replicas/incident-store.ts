import type { RedisClient } from '../util/redis-client';
import type { IncidentFamily } from './replica-health';

/**
 * The open incident of each replica and family, in Redis (AOF, like the queues and the outbox).
 * Every decision to post is an atomic claim in one Lua script, as the feed relay's
 * (src/feeds/relay-store.ts): polls that overlap, a worker restarted between polls, or several
 * workers checking the same replica decide each opening, update and recovery exactly once.
 *
 * Key: <prefix>:replicas:<replica>:incident:<family>   hash: id, signature, title, openedAt, quiet,
 * posted (its root is queued)
 *
 * An incident that opens while its replica is muted is recorded quietly: nothing is posted until
 * the mute ends with the incident still open (its root is posted then, with its opening time); one
 * that ends within the mute is never posted.
 */
const SETTLE = `
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[1] == '1' then
  if not id then
    redis.call('HSET', KEYS[1], 'id', ARGV[4], 'signature', ARGV[2], 'title', ARGV[5], 'openedAt', ARGV[3], 'quiet', ARGV[6])
    if ARGV[6] == '1' then return { 'quiet', ARGV[4], ARGV[3], ARGV[5] } end
    return { 'open', ARGV[4], ARGV[3], ARGV[5] }
  end
  local openedAt = redis.call('HGET', KEYS[1], 'openedAt')
  if redis.call('HGET', KEYS[1], 'quiet') == '1' then
    redis.call('HSET', KEYS[1], 'signature', ARGV[2], 'title', ARGV[5])
    if ARGV[6] == '1' then return { 'quiet', id, openedAt, ARGV[5] } end
    redis.call('HSET', KEYS[1], 'quiet', '0')
    return { 'open', id, openedAt, ARGV[5] }
  end
  local posted = redis.call('HGET', KEYS[1], 'posted') or '0'
  if redis.call('HGET', KEYS[1], 'signature') == ARGV[2] then
    return { 'same', id, openedAt, redis.call('HGET', KEYS[1], 'title'), posted }
  end
  redis.call('HSET', KEYS[1], 'signature', ARGV[2], 'title', ARGV[5])
  return { 'update', id, openedAt, ARGV[5], posted }
end
if not id then return { 'none' } end
local quiet = redis.call('HGET', KEYS[1], 'quiet')
local result = { 'close', id, redis.call('HGET', KEYS[1], 'openedAt'), redis.call('HGET', KEYS[1], 'title') }
redis.call('DEL', KEYS[1])
if quiet == '1' then return { 'none' } end
return result
`;

export type Settlement =
  | { kind: 'none' }
  | {
      kind: 'open' | 'same' | 'update' | 'close' | 'quiet';
      id: string;
      openedAt: number;
      title: string;
      /**
       * For `same` and `update`: whether the root was queued (markRootQueued). False after a
       * worker died between claiming the opening and queueing its root: the root is still due.
       */
      rootQueued: boolean;
    };

export class IncidentStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /**
   * Settles what this check saw for one family: `active` with its signature and title, or clear.
   * `open`: this caller posts the root; `update`: the state changed, this caller posts it in the
   * thread; `close`: it recovered, this caller edits the root; `same`/`none`: nothing to post.
   */
  async settle(
    replica: string,
    family: IncidentFamily,
    seen: { active: true; signature: string; title: string } | { active: false },
    now: number,
    muted = false,
  ): Promise<Settlement> {
    const result = (await this.redis.eval(
      SETTLE,
      1,
      `${this.prefix}:replicas:${replica}:incident:${family}`,
      seen.active ? '1' : '0',
      seen.active ? seen.signature : '',
      String(now),
      `${now.toString(36)}`,
      seen.active ? seen.title : '',
      muted ? '1' : '0',
    )) as string[];
    const [kind, id, openedAt, title, posted] = result;
    if (kind === 'none') return { kind };
    return {
      kind: kind as 'open' | 'same' | 'update' | 'close' | 'quiet',
      id: id!,
      openedAt: Number(openedAt),
      title: title ?? '',
      rootQueued: posted === '1',
    };
  }

  /**
   * Records that open incident `id`'s root is in the outbox. Until then every check that finds
   * the incident queues its root again: the outbox keeps one root per thread, so a root queued
   * twice (a worker that died after queueing it, before marking it) is posted once.
   */
  async markRootQueued(replica: string, family: IncidentFamily, id: string): Promise<void> {
    await this.redis.eval(
      MARK_ROOT_QUEUED,
      1,
      `${this.prefix}:replicas:${replica}:incident:${family}`,
      id,
    );
  }

  /** Claims the one escalation of open incident `id` (false: already claimed, or no longer open). */
  async claimMention(replica: string, family: IncidentFamily, id: string): Promise<boolean> {
    const claimed = (await this.redis.eval(
      CLAIM_MENTION,
      1,
      `${this.prefix}:replicas:${replica}:incident:${family}`,
      id,
    )) as number;
    return claimed === 1;
  }
}

const MARK_ROOT_QUEUED = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then redis.call('HSET', KEYS[1], 'posted', '1') end
return 1
`;

/** Only the caller that gets true mentions the group: once per incident, whatever polls overlap. */
const CLAIM_MENTION = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
return redis.call('HSETNX', KEYS[1], 'mentioned', '1')
`;

export interface Mute {
  by: { id: string; name: string };
  until: number;
}

/**
 * A replica's mute (`/seed-slave mute`, the alert's Mute button): until `until`, new incidents of
 * the replica are recorded quietly; open ones still update their threads. Key:
 * <prefix>:replicas:<replica>:muted, expiring with the mute.
 */
export class MuteStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async mute(replica: string, mute: Mute): Promise<void> {
    const ms = mute.until - Date.now();
    if (ms > 0) await this.redis.set(this.key(replica), JSON.stringify(mute), 'PX', ms);
  }

  async read(replica: string): Promise<Mute | null> {
    const stored = await this.redis.get(this.key(replica));
    return stored === null ? null : (JSON.parse(stored) as Mute);
  }

  private key(replica: string): string {
    return `${this.prefix}:replicas:${replica}:muted`;
  }
}

/** The outbox thread of one incident (its channel and ts live there once posted). */
export function incidentThreadKey(replica: string, family: IncidentFamily, id: string): string {
  return `replica:${replica}:${family}:${id}`;
}
