import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import mysql from 'mysql2/promise';
import { WorkSigner } from '../../src/util/work-signature';

/** Where the harness's local services listen (see scripts/local-services.sh). */
export const REDIS_URL = `redis://127.0.0.1:${process.env.OPSDECK_REDIS_PORT ?? 6380}`;
export const MYSQL = {
  host: '127.0.0.1',
  port: Number(process.env.OPSDECK_MYSQL_PORT ?? 3307),
  user: 'root',
};

/**
 * The local MariaDB serves plain TCP on loopback (see the README's TLS section), so a config for
 * it says `tls: { mode: disabled }`: every MySQL connection's TLS defaults to verify-identity.
 */
export const LOCAL_MYSQL_TLS = { mode: 'disabled' } as const;

/** The `mysql` section of a config for the local MariaDB (plain TCP on loopback), as root. */
export function localMysqlSection(database: string): Record<string, unknown> {
  return { host: MYSQL.host, port: MYSQL.port, user: MYSQL.user, database, tls: LOCAL_MYSQL_TLS };
}

/** The key the tests' processes sign queued work with (`queue.signingKeyEnv`, OPSDECK_QUEUE_KEY). */
export const TEST_QUEUE_KEY = 'test-queue-key-0123456789abcdef-0123456789abcdef';

/** A signer with the tests' key, for stores built directly in a test. */
export function testSigner(): WorkSigner {
  return new WorkSigner(TEST_QUEUE_KEY);
}

/** A name no other test uses: for queue prefixes, databases, channels. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function connectRedis(): IORedis {
  return new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
}

/** Creates a fresh database for one test file; drop it with the returned function. */
export async function createTestDatabase(
  prefix = 'test',
): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const conn = await mysql.createConnection(MYSQL);
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.end();
  return {
    name,
    drop: async () => {
      const c = await mysql.createConnection(MYSQL);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** Deletes every Redis key under a prefix (a test's private namespace). */
export async function deleteRedisPrefix(redis: IORedis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
