import type { RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import type { Queryable } from './queryable';

export type ServerVersion = readonly [major: number, minor: number, patch: number];

/**
 * Which server a connection talks to. Replication syntax differs by product and version: MySQL
 * renamed master/slave to source/replica in 8.0.22 (SHOW REPLICA STATUS, START REPLICA) and 8.0.23
 * (CHANGE REPLICATION SOURCE TO), and SHOW MASTER STATUS in 8.2 (SHOW BINARY LOG STATUS); MariaDB
 * kept the old statements and column names (10.5 added aliases, with the old column names).
 */
export interface ServerFlavor {
  product: 'mysql' | 'mariadb';
  version: ServerVersion;
  /** VERSION() as the server reports it, for messages. */
  text: string;
}

/** Reads the flavor from VERSION() and @@version_comment (Percona, RDS and Aurora say MySQL). */
export async function readServerFlavor(db: Queryable): Promise<ServerFlavor> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT VERSION() AS version, @@version_comment AS comment',
  );
  return parseServerFlavor(String(rows[0]?.version ?? ''), String(rows[0]?.comment ?? ''));
}

/**
 * `10.11.19-MariaDB-0+deb12u1` → MariaDB 10.11.19; `8.0.36` → MySQL 8.0.36. A `5.5.5-` prefix
 * (MariaDB's replication handshake quirk, seen through some proxies) is skipped.
 */
export function parseServerFlavor(version: string, comment = ''): ServerFlavor {
  const match = /^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match)
    throw new OpsdeckError(
      ErrorCode.MysqlVersionUnknown,
      `cannot read the server version from VERSION() = ${JSON.stringify(version)}`,
    );
  const mariadb = /mariadb/i.test(version) || /mariadb/i.test(comment);
  return {
    product: mariadb ? 'mariadb' : 'mysql',
    version: [Number(match[1]), Number(match[2]), Number(match[3])],
    text: version,
  };
}

/** True when `flavor` is `product` at `version` or later. */
export function isAtLeast(
  flavor: ServerFlavor,
  product: ServerFlavor['product'],
  version: ServerVersion,
): boolean {
  if (flavor.product !== product) return false;
  for (let i = 0; i < 3; i++) {
    if (flavor.version[i]! !== version[i]!) return flavor.version[i]! > version[i]!;
  }
  return true;
}

export function describeFlavor(flavor: ServerFlavor): string {
  return `${flavor.product === 'mariadb' ? 'MariaDB' : 'MySQL'} ${flavor.version.join('.')}`;
}
