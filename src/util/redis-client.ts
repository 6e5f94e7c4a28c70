import type { Cluster, Redis } from 'ioredis';

/**
 * A connection to opsdeck's Redis: one server (or one through Sentinel), or a Redis Cluster. Both
 * answer the same commands; on a cluster every key opsdeck uses carries the `{…}` hash tag of
 * `redis.prefix`, so a Lua script or MULTI over several of them stays in one slot.
 */
export type RedisClient = Redis | Cluster;
