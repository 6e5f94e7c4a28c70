import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import { tableChecksum, type TableChecksum } from '../../src/mysql/table-checksum';
import { readTableShape } from '../../src/mysql/table-shape';
import {
  startStandaloneServer,
  type StandaloneServer,
} from '../../devkit/sandbox/standalone-server';

export const ITEMS_TABLE = `CREATE TABLE items (
  id INT PRIMARY KEY,
  counter INT NOT NULL,
  note VARCHAR(200) NOT NULL
)`;

/**
 * A steady write load on `items`: each transaction inserts a row, updates an earlier one and,
 * every third time, deletes one. Coordinates off by one event either way show: a replayed insert
 * stops the replica (duplicate key), a missed one leaves the checksums apart.
 */
export function startWriteLoad(conn: Connection, firstId: number): { stop(): Promise<number> } {
  let running = true;
  let next = firstId;
  const loop = (async () => {
    while (running) {
      const id = next++;
      await conn.beginTransaction();
      await conn.query('INSERT INTO items (id, counter, note) VALUES (?, 0, ?)', [
        id,
        `row ${id} ${'x'.repeat(100)}`,
      ]);
      await conn.query('UPDATE items SET counter = counter + 1 WHERE id = ?', [
        Math.floor(Math.random() * id),
      ]);
      if (id % 3 === 0) await conn.query('DELETE FROM items WHERE id = ?', [id - 7]);
      await conn.commit();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return next - firstId;
    },
  };
}

/** Rows and content checksum of `database.items`. */
export async function itemsChecksum(pool: Pool, database: string): Promise<TableChecksum> {
  const shape = await readTableShape(pool, database, 'items');
  return tableChecksum(pool, { database, table: 'items' }, shape.columns);
}

/** Copies `database.items` (definition and rows) from one server to another. */
export async function cloneItems(
  from: Connection,
  to: Connection,
  database: string,
): Promise<void> {
  const [[created]] = await from.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${database}\`.items`);
  await to.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await to.query(`USE \`${database}\``);
  await to.query(String(created!['Create Table']));
  const [rows] = await from.query<RowDataPacket[]>(
    `SELECT id, counter, note FROM \`${database}\`.items ORDER BY id`,
  );
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000).map((row) => [row.id, row.counter, row.note]);
    await to.query('INSERT INTO items (id, counter, note) VALUES ?', [batch]);
  }
}

export interface TestStandalone {
  server: StandaloneServer;
  admin: { user: string; password: string };
  connect(): Promise<Connection>;
  pool(): Pool;
  dispose(): Promise<void>;
}

/**
 * Where a standalone server listens, with TLS as the bot's `replicas.<name>.tls` reaches it: its
 * certificate and name (127.0.0.1) checked against its own CA.
 */
export function standaloneTls(server: StandaloneServer) {
  const endpoint = { host: server.host, port: server.port };
  return {
    ...endpoint,
    ...mysqlConnectOptions(
      endpoint,
      loadMysqlTls('test', { mode: 'verify-identity', caFile: server.caFile }),
    ),
  };
}

/**
 * An on-premise stand-in with its own temporary data dir. It accepts only TLS: `connect` and
 * `pool` check its certificate and name against its CA, as the bot's `replicas.<name>.tls` does.
 */
export async function startTestStandalone(serverId: number): Promise<TestStandalone> {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsdeck-standalone-'));
  const admin = { user: 'ops', password: 'standalone-admin-pw' };
  const server = await startStandaloneServer({ dataDir, serverId, admin });
  const options = { ...standaloneTls(server), ...admin };
  return {
    server,
    admin,
    connect: () => mysql.createConnection(options),
    pool: () => mysql.createPool({ ...options, connectionLimit: 2 }),
    async dispose() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every way an error may end up printed or shipped, to look for a secret in. */
export function everyRendering(error: unknown): string {
  const e = error as Error;
  return [
    String(e),
    e.message,
    e.stack,
    JSON.stringify(e),
    JSON.stringify(e, Object.getOwnPropertyNames(e)),
    inspect(e, { depth: 10, showHidden: true }),
    String((e as { sql?: unknown }).sql),
    inspect(e.cause, { depth: 10, showHidden: true }),
  ].join('\n');
}
