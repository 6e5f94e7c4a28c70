import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import type { OpsdeckConfig } from '../config/schema';
import type { Secrets } from '../config/secrets';
import { ConfigError, describeError } from '../errors';

/**
 * How every connection of a process reaches Redis, from `redis` in the config: the URL, an ACL
 * user and its password (or the AUTH password) from the environment, and for `rediss://` TLS
 * with the server's certificate checked against the system's CAs or `redis.tls.caFile`, and its
 * name against the URL's host (Node's default identity check; nothing here turns it off).
 */
export function redisOptions(
  config: OpsdeckConfig['redis'],
  secrets: Pick<Secrets, 'redisPassword' | 'redisUsername'>,
): RedisOptions {
  const url = new URL(config.url);
  const tls = url.protocol === 'rediss:';
  if (config.tls && !tls) {
    throw new ConfigError(
      `redis.tls is set but redis.url (${url.protocol}//${url.host}) is not rediss://: the connection would not be encrypted`,
    );
  }
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
