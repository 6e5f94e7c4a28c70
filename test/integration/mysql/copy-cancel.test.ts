import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import {
  startStandaloneServer,
  type StandaloneServer,
} from '../../../devkit/sandbox/standalone-server';
import { CancelledError } from '../../../src/errors';
import { copyDatabases } from '../../../src/mysql/copy-databases';
import { copyTable, type CopyMethod } from '../../../src/mysql/copy-table';
import { sleep } from '../../../src/util/sleep';
import { standaloneTls } from '../../helpers/replication';
import { createTestDatabase, MYSQL } from '../../helpers/services';
import { waitFor } from '../../helpers/wait-for';

/**
 * The copy engine cancelled while its statements run on the server, against real MariaDB: a
 * 200,000-row table, copied by two connections in batches of 2,000 rows. To be sure a statement is
 * in flight when the cancel comes, another client takes LOCK TABLES … WRITE on the table the copy
 * writes, once the copy has committed some rows: every INSERT or LOAD DATA the copy starts then
 * waits on the server for the lock. The cancel must stop those statements there (KILL QUERY), and
 * the copy must reject with the cancel's reason while the lock is still held, so none of them can
 * ever run: after the lock is released, the table keeps exactly the rows it had.
 */
const ROWS = 200_000;
const PARALLELISM = 2;
const BATCH_ROWS = 2000;
const SLOW = 180_000;
/** Far longer than a copy takes to stop; only a copy that never stops reaches it. */
const NEVER_MS = 60_000;

let sourceDb: Awaited<ReturnType<typeof createTestDatabase>>;
let destinationDb: Awaited<ReturnType<typeof createTestDatabase>>;
let source: Pool;
let destination: Pool;

const openPool = (server: mysql.PoolOptions) =>
  mysql.createPool({ ...server, charset: 'utf8mb4', connectionLimit: PARALLELISM + 1 });

async function count(conn: Pool | Connection, table: string): Promise<number> {
  const [[row]] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row!.n);
}

/** The statements the server runs that name `table`, but the asking connection's own. */
async function statementsOn(
  conn: Connection,
  table: string,
): Promise<{ id: number; state: string }[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT ID AS id, STATE AS state FROM information_schema.PROCESSLIST
      WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`,
    [`%${table}%`],
  );
  return rows.map((row) => ({ id: Number(row.id), state: String(row.state) }));
}

/** The server threads of `ids` that run a statement now (not idle, not gone). */
async function running(conn: Connection, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID IN (?) AND COMMAND <> 'Sleep'`,
    [ids],
  );
  return rows.map((row) => Number(row.id));
}

/** How the copy ended, or that it had not within NEVER_MS. */
async function settled(copy: Promise<unknown>): Promise<unknown> {
  const deadline = new AbortController();
  try {
    return await Promise.race([
      copy.then(
        () => 'finished',
        (error: unknown) => error,
      ),
      sleep(NEVER_MS, deadline.signal).then(() => 'still running with the lock held'),
    ]);
  } finally {
    deadline.abort();
  }
}

/**
 * The copy ended with the cancel's own error, the statements that waited for the lock were killed
 * on the server, and none of the copy's statements runs or waits any more.
 */
function expectStopped(result: Awaited<ReturnType<typeof cancelWhileLocked>>): void {
  expect(result.outcome).toBe(result.reason);
  expect(result.killed).toEqual(expect.arrayContaining(result.waiting));
  expect(result.runningAfter).toEqual([]);
  expect(result.statementsAfter).toEqual([]);
}

/**
 * Runs `start` (a copy into `table`, which `locker` can reach) with a signal; when it calls
 * `lock`, `locker` locks the table; once `waiting` statements of the copy wait for that lock, the
 * copy is cancelled. Returns what the test asserts on.
 */
async function cancelWhileLocked(
  locker: Connection,
  table: string,
  waiting: number,
  start: (hooks: {
    signal: AbortSignal;
    lock: () => Promise<unknown>;
    onStopped: (killed: readonly number[]) => void;
  }) => Promise<unknown>,
) {
  const cancel = new AbortController();
  let locking: Promise<unknown> | null = null;
  let killed: readonly number[] = [];
  const copy = start({
    signal: cancel.signal,
    lock: () => (locking ??= locker.query(`LOCK TABLES ${table} WRITE`)),
    onStopped: (threads) => {
      killed = threads;
    },
  });
  copy.catch(() => undefined);
  try {
    const locked = await waitFor(
      async () => {
        if (locking === null) return null;
        await locking;
        const statements = await statementsOn(locker, table);
        return statements.length === waiting && statements.every((s) => /lock/i.test(s.state))
          ? statements
          : null;
      },
      NEVER_MS,
      'the copy to wait for the lock',
    );
    // The lock holder reads the table: the rows committed before the cancel.
    const before = await count(locker, table);
    const reason = new CancelledError('cancelled by alice');
    cancel.abort(reason);
    // Awaited while the lock is still held: the copy ends without its statements ever running.
    const outcome = await settled(copy);
    const runningAfter = await running(locker, [...killed, ...locked.map((s) => s.id)]);
    const statementsAfter = await statementsOn(locker, table);
    await locker.query('UNLOCK TABLES');
    locking = null;
    // Anything left of the copy would write now that the lock is gone.
    await sleep(1500);
    return {
      reason,
      outcome,
      killed,
      waiting: locked.map((s) => s.id),
      runningAfter,
      statementsAfter,
      before,
    };
  } finally {
    if (locking !== null) await locker.query('UNLOCK TABLES');
    cancel.abort(new CancelledError('test over'));
    await settled(copy);
  }
}

beforeAll(async () => {
  sourceDb = await createTestDatabase('copy_cancel_src');
  destinationDb = await createTestDatabase('copy_cancel_dst');
  source = openPool({ ...MYSQL, database: sourceDb.name });
  destination = openPool({ ...MYSQL, database: destinationDb.name });
  await source.query(
    `CREATE TABLE ledger (id INT UNSIGNED PRIMARY KEY, account VARCHAR(64) NOT NULL,
       amount_cents BIGINT NOT NULL, note VARCHAR(255) NULL, KEY (account))`,
  );
  await source.query(
    `INSERT INTO ledger SELECT seq, CONCAT('acct-', seq % 97), seq * 101, REPEAT('restored ', 8)
       FROM seq_1_to_${ROWS}`,
  );
}, SLOW);

afterAll(async () => {
  await Promise.all([source?.end(), destination?.end()]);
  await Promise.all([sourceDb?.drop(), destinationDb?.drop()]);
});

describe('copyTable cancelled while its statements run', () => {
  it.each<[string, CopyMethod]>([
    ['INSERT', 'insert'],
    ['LOAD DATA', 'load-data'],
  ])(
    '%s: the waiting statements are killed, the copy rejects with the cancel, nothing is written after it',
    async (_name, method) => {
      const side = `ledger__restored_${method === 'insert' ? 1 : 2}`;
      const table = `\`${destinationDb.name}\`.\`${side}\``;
      const locker = await mysql.createConnection({ ...MYSQL, database: destinationDb.name });
      try {
        const result = await cancelWhileLocked(locker, table, PARALLELISM, (hooks) =>
          copyTable({
            source,
            destination,
            from: { database: sourceDb.name, table: 'ledger' },
            to: { database: destinationDb.name, table: side },
            parallelism: PARALLELISM,
            method,
            batchRows: BATCH_ROWS,
            signal: hooks.signal,
            onProgress: (p) => {
              if (p.rows > 0) void hooks.lock();
            },
            onStopped: hooks.onStopped,
          }),
        );
        // Both statements waiting for the lock were stopped on the server.
        expectStopped(result);
        expect(result.before).toBeGreaterThan(0);
        expect(result.before).toBeLessThan(ROWS);
        const after = await count(destination, table);
        expect(after).toBe(result.before);
        // The figure for issue 17: rows written by a copy after it was cancelled.
        console.log(`rows written after the cancel (${method} copy): ${after - result.before}`);
      } finally {
        locker.destroy();
      }
    },
    SLOW,
  );

  it(
    'cancelled while it builds the deferred indexes: the ALTER is killed, no index is added after it',
    async () => {
      const side = 'ledger__restored_4';
      const table = `\`${destinationDb.name}\`.\`${side}\``;
      const locker = await mysql.createConnection({ ...MYSQL, database: destinationDb.name });
      try {
        let rangesDone = 0;
        const result = await cancelWhileLocked(locker, table, 1, (hooks) =>
          copyTable({
            source,
            destination,
            from: { database: sourceDb.name, table: 'ledger' },
            to: { database: destinationDb.name, table: side },
            parallelism: PARALLELISM,
            rangeCount: 4,
            signal: hooks.signal,
            // Awaited by the copy: the table is locked before the index build starts.
            onRangeDone: async () => {
              rangesDone += 1;
              if (rangesDone === 4) await hooks.lock();
            },
            onStopped: hooks.onStopped,
          }),
        );
        expectStopped(result);
        expect(result.before).toBe(ROWS);
        const [indexes] = await destination.query<RowDataPacket[]>(
          `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
          [destinationDb.name, side],
        );
        expect(indexes.map((row) => row.name)).toEqual(['PRIMARY']);
      } finally {
        locker.destroy();
      }
    },
    SLOW,
  );

  it('a signal aborted before the copy starts: it rejects with the reason and creates nothing', async () => {
    const cancel = new AbortController();
    const reason = new CancelledError('cancelled by alice');
    cancel.abort(reason);
    await expect(
      copyTable({
        source,
        destination,
        from: { database: sourceDb.name, table: 'ledger' },
        to: { database: destinationDb.name, table: 'ledger__restored_3' },
        signal: cancel.signal,
      }),
    ).rejects.toBe(reason);
    const [rows] = await destination.query<RowDataPacket[]>(
      `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [destinationDb.name, 'ledger__restored_3'],
    );
    expect(rows).toEqual([]);
  });
});

describe('copyDatabases cancelled while its statements run', () => {
  let server: StandaloneServer;
  let serverDir: string;
  let admin: { user: string; password: string };
  let replica: Pool;

  beforeAll(async () => {
    serverDir = await mkdtemp(join(tmpdir(), 'opsdeck-copy-cancel-'));
    admin = { user: 'opsdeck_admin', password: randomBytes(12).toString('hex') };
    server = await startStandaloneServer({ dataDir: serverDir, serverId: 4343, admin });
    replica = openPool({ ...standaloneTls(server), ...admin });
  }, SLOW);

  afterAll(async () => {
    await replica?.end();
    await server?.stop();
    if (serverDir) await rm(serverDir, { recursive: true, force: true });
  }, SLOW);

  it(
    'the waiting statements are killed, the copy rejects with the cancel, nothing is written after it',
    async () => {
      const table = `\`${sourceDb.name}\`.\`ledger\``;
      const locker = await mysql.createConnection({ ...standaloneTls(server), ...admin });
      try {
        const result = await cancelWhileLocked(locker, table, PARALLELISM, (hooks) =>
          copyDatabases({
            source,
            destination: replica,
            databases: [sourceDb.name],
            parallelism: PARALLELISM,
            rangeRows: ROWS / 8,
            batchRows: BATCH_ROWS,
            signal: hooks.signal,
            onProgress: (p) => {
              if (p.rows > 0) void hooks.lock();
            },
            onStopped: hooks.onStopped,
          }),
        );
        expectStopped(result);
        expect(result.before).toBeGreaterThan(0);
        expect(result.before).toBeLessThan(ROWS);
        const after = await count(replica, table);
        expect(after).toBe(result.before);
        console.log(`rows written after the cancel (copyDatabases): ${after - result.before}`);
      } finally {
        locker.destroy();
      }
    },
    SLOW,
  );
});
