import type { Pool, RowDataPacket } from 'mysql2/promise';

/** Which server answers (MySQL, as on RDS, or MariaDB) and its version, where SQL must differ. */
export interface ServerFlavor {
  kind: 'mysql' | 'mariadb';
  version: [number, number, number];
}

/** From VERSION(): `8.0.35`, `8.0.35-log`, `10.11.6-MariaDB-0+deb12u1-log`. */
export function parseServerVersion(text: string): ServerFlavor {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  const version: [number, number, number] = match
    ? [Number(match[1]), Number(match[2]), Number(match[3])]
    : [0, 0, 0];
  return { kind: /mariadb/i.test(text) ? 'mariadb' : 'mysql', version };
}

export async function readServerFlavor(pool: Pool): Promise<ServerFlavor> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT VERSION() AS version');
  return parseServerVersion(String(rows[0]?.version ?? ''));
}

/** True for MySQL (not MariaDB) at `version` or later. */
export function isMysqlAtLeast(
  flavor: ServerFlavor,
  ...version: [number, number, number]
): boolean {
  if (flavor.kind !== 'mysql') return false;
  for (let i = 0; i < 3; i++)
    if (flavor.version[i] !== version[i]) return flavor.version[i]! > version[i]!;
  return true;
}
