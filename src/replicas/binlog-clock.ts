import type { RedisClient } from '../util/redis-client';
import type { BinlogClosedAt } from './replica-margin';

/**
 * When each binary log of a source was closed, as the watch saw it: SHOW BINARY LOGS has no
 * times, but a file is closed when its successor appears, and RDS purges a file `retention hours`
 * after that. Each file's first sighting is kept in Redis (one hash per source, shared by every
 * worker, HSETNX so the first sighting wins); files the source no longer lists are dropped.
 *
 * Key: <prefix>:replicas:source:<source>:binlogs   hash: file → ms first seen, `:since` → first check
 */
const OBSERVE = `
redis.call('HSETNX', KEYS[1], ':since', ARGV[1])
for i = 2, #ARGV do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[1]) end
local all = redis.call('HGETALL', KEYS[1])
local listed = {}
for i = 2, #ARGV do listed[ARGV[i]] = true end
for i = 1, #all, 2 do
  if all[i] ~= ':since' and not listed[all[i]] then redis.call('HDEL', KEYS[1], all[i]) end
end
redis.call('EXPIRE', KEYS[1], 30 * 86400)
return redis.call('HGETALL', KEYS[1])
`;

export class BinlogClock {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Records `files` (oldest first) as seen at `now`; returns when each closed file was closed. */
  async observe(
    source: string,
    files: readonly string[],
    now: number,
  ): Promise<Record<string, BinlogClosedAt>> {
    const flat = (await this.redis.eval(
      OBSERVE,
      1,
      `${this.prefix}:replicas:source:${source}:binlogs`,
      String(now),
      ...files,
    )) as string[];
    const seen = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) seen.set(flat[i]!, Number(flat[i + 1]));
    const since = seen.get(':since') ?? now;
    const closedAt: Record<string, BinlogClosedAt> = {};
    files.forEach((file, index) => {
      const next = files[index + 1];
      if (next === undefined) return;
      const at = seen.get(next) ?? now;
      closedAt[file] = { at, exact: at > since };
    });
    return closedAt;
  }
}
