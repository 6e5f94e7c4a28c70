import IORedis, { Cluster, type RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_URL, type RedisConfig } from '../config/schema';
import type { Secrets } from '../config/secrets';
import type { RedisClient } from '../util/redis-client';
import { redisOptions } from './redis-options';
import { SentinelFailoverWatch, WatchedSentinelRedis } from './sentinel-failover-watch';

/**
 * How a process connects to Redis, from the `redis` config: one server by URL, or through Redis
 * Sentinel (the sentinels name the current primary; ioredis asks them again whenever the
 * connection drops and checks that the server it reaches is a primary; a failover the sentinels
 * announce drops the connections still on the old one), or a Redis Cluster (ioredis's Cluster client: it learns the slots from the
 * listed nodes and follows MOVED and failovers).
 *
 * `fast` connections fail a command at once while Redis is unreachable (the front door must answer
 * Slack within 3 s); the others queue commands while reconnecting and never give up on one
 * (BullMQ workers, and running jobs, which wait for Redis instead of failing).
 */
export type RedisConnect = (options?: { fast?: boolean }) => RedisClient;

export function redisConnector(
  redis: RedisConfig,
  secrets: Pick<Secrets, 'redisPassword' | 'redisSentinelPassword' | 'redisUsername'>,
): RedisConnect {
  // The ACL user, its password and (with rediss://) TLS: the same for every kind of connection.
  const auth = redisOptions(redis, secrets);
  const behaviour = (fast: boolean): RedisOptions => ({
    maxRetriesPerRequest: fast ? 1 : null,
    enableOfflineQueue: !fast,
  });
  if (redis.sentinels !== undefined) {
    const sentinels = redis.sentinels.map(hostAndPort);
    const sentinel: RedisOptions = {
      sentinels,
      name: redis.masterName!,
      ...(secrets.redisSentinelPassword !== undefined && {
        sentinelPassword: secrets.redisSentinelPassword,
      }),
      ...auth,
    };
    // Reconnects as soon as the sentinels announce a new primary, not only when the old one stops
    // answering (see sentinel-failover-watch.ts for why not ioredis's failoverDetector).
    const watch = new SentinelFailoverWatch(
      sentinels,
      redis.masterName!,
      secrets.redisSentinelPassword,
    );
    return ({ fast = false } = {}) =>
      new WatchedSentinelRedis({ ...sentinel, ...behaviour(fast) }, watch);
  }
  if (redis.cluster !== undefined) {
    const nodes = redis.cluster.map(hostAndPort);
    return ({ fast = false } = {}) =>
      new Cluster(nodes, {
        enableOfflineQueue: !fast,
        // Per node; BullMQ reads maxRetriesPerRequest from here on a cluster.
        redisOptions: { ...auth, maxRetriesPerRequest: fast ? 1 : null },
      });
  }
  const url = redis.url ?? DEFAULT_REDIS_URL;
  return ({ fast = false } = {}) => new IORedis(url, { ...auth, ...behaviour(fast) });
}

/** `10.0.0.1:26379` or `[fd00::1]:26379` as ioredis wants it. */
export function hostAndPort(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return {
    host: text.slice(0, colon).replace(/^\[(.*)\]$/, '$1'),
    port: Number(text.slice(colon + 1)),
  };
}
