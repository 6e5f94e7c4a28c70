import { createHash } from 'node:crypto';
import type { RedisClient } from '../util/redis-client';

/**
 * What the relay has already posted, per feed and incident, in Redis (AOF: the same durable store
 * as the queues, the checkpoints and the outbox, which keeps each thread's Slack channel and ts).
 * Every decision to post is an atomic claim in one Lua script, so a re-poll, a restart, a
 * reordered or edited feed, or two workers polling at once can never post anything twice.
 *
 * Keys (under the configured prefix), kept 90 days after the incident was last seen:
 *   <prefix>:feeds:<feed>:incident:<hash>           hash: threaded (0 quiet | 1 posted), rendered
 *   <prefix>:feeds:<feed>:incident:<hash>:updates   set of update ids already relayed or skipped
 */

const TTL_SECONDS = 90 * 24 * 3600;

/**
 * KEYS[1] incident hash, KEYS[2] its update set.
 * ARGV[1] post when new (1/0), ARGV[2] post when quiet (1/0), ARGV[3] rendered root hash,
 * ARGV[4] ttl, ARGV[5..] update ids.
 * Returns { root posted now (1/0), threaded (1/0), edit root (1/0), new update ids... }.
 */
const CLAIM = `
local threaded = redis.call('HGET', KEYS[1], 'threaded')
local root = 0
if not threaded then
  threaded = ARGV[1]
  root = tonumber(ARGV[1])
elseif threaded == '0' and ARGV[2] == '1' then
  threaded = '1'
  root = 1
end
local edit = 0
if threaded == '1' and root == 0 and redis.call('HGET', KEYS[1], 'rendered') ~= ARGV[3] then
  edit = 1
end
redis.call('HSET', KEYS[1], 'threaded', threaded, 'rendered', ARGV[3])
local result = { root, tonumber(threaded), edit }
for i = 5, #ARGV do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then table.insert(result, ARGV[i]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return result
`;

export interface ClaimInput {
  /** Post a root if the incident was never seen (false: record it quietly, e.g. history). */
  postIfNew: boolean;
  /** Post a root for an incident recorded quietly before (it came back to life). */
  postIfQuiet: boolean;
  /** A hash of the root message as it would read now: a change means the root is edited. */
  rendered: string;
  updateIds: readonly string[];
}

export interface Claim {
  /** This caller posts the root now. */
  postRoot: boolean;
  /** The incident has a root message (posted now or before): replies and edits go there. */
  threaded: boolean;
  /** The root exists and reads differently now: this caller edits it. */
  editRoot: boolean;
  /** Update ids no one claimed before: this caller posts them (when threaded). */
  newUpdateIds: Set<string>;
}

export class RelayStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async claim(feed: string, incidentId: string, input: ClaimInput): Promise<Claim> {
    const key = this.incidentKey(feed, incidentId);
    const result = (await this.redis.eval(
      CLAIM,
      2,
      key,
      `${key}:updates`,
      input.postIfNew ? '1' : '0',
      input.postIfQuiet ? '1' : '0',
      input.rendered,
      TTL_SECONDS,
      ...input.updateIds,
    )) as [number, number, number, ...string[]];
    const [root, threaded, edit, ...fresh] = result;
    return {
      postRoot: root === 1,
      threaded: threaded === 1,
      editRoot: edit === 1,
      newUpdateIds: new Set(fresh),
    };
  }

  private incidentKey(feed: string, incidentId: string): string {
    return `${this.prefix}:feeds:${feed}:incident:${incidentHash(incidentId)}`;
  }
}

/** The outbox thread of an incident's messages (its channel and ts live there once posted). */
export function incidentThreadKey(feed: string, incidentId: string): string {
  return `feed:${feed}:${incidentHash(incidentId)}`;
}

function incidentHash(incidentId: string): string {
  return createHash('sha256').update(incidentId).digest('hex').slice(0, 32);
}
