import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import type { OpsdeckConfig } from '../config/schema';
import type { Secrets } from '../config/secrets';
import { ConfigError, describeError } from '../errors';

/**
 * Who a connection is and how it is encrypted, from `redis` in the config, for every kind of
 * connection (one server, Sentinel's primary, each Cluster node): an ACL user and its password (or
 * the AUTH password) from the environment, and for a `rediss://` url TLS with the server's
 * certificate checked against the system's CAs or `redis.tls.caFile`, and its name against the
 * url's host (Node's default identity check; nothing here turns it off).
 */
export function redisOptions(
  config: OpsdeckConfig['redis'],
  secrets: Pick<Secrets, 'redisPassword' | 'redisUsername'>,
): RedisOptions {
  // The config refuses `redis.tls` without a rediss:// url (schema.ts).
  const tls = config.url?.startsWith('rediss://') === true;
  return {
    ...(secrets.redisUsername !== undefined && { username: secrets.redisUsername }),
    ...(secrets.redisPassword !== undefined && { password: secrets.redisPassword }),
    ...(tls && {
      tls: config.tls?.caFile !== undefined ? { ca: readCa(config.tls.caFile) } : {},
    }),
  };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`redis.tls.caFile ${path} cannot be read: ${describeError(error)}`);
  }
}
