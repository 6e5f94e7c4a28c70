import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { ErrorCode, isOpsdeckError } from '../../../src/errors';
import {
  copyRestoredTable,
  verifyRestoredCopy,
  type RestoredCopy,
} from '../../../src/restore/restored-copy';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * The restored table copied into production as a side table and checked, against a real MariaDB,
 * in seconds. One server stands for both the restored instance and production (the same
 * `schema.table` on each, as after a point-in-time restore), so production's table has the
 * restored rows here: the comparison itself is tested in compare-tables' own tests.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

const ROWS = 500;

function copyOf(sideTable: string, overrides: Partial<RestoredCopy> = {}) {
  const events: string[] = [];
  const copy: RestoredCopy = {
    source: pool,
    production: pool,
    schema: db.name,
    table: 'orders',
    sideTable,
    at: '2025-11-21T15:59:30Z',
    parallelism: 2,
    resume: { started: false, doneRanges: [] },
    onStart: async (resumed) => void events.push(`start ${resumed}`),
    onProgress: () => undefined,
    onRangeDone: async (index) => void events.push(`range ${index}`),
    signal: new AbortController().signal,
    onStopped: () => undefined,
    ...overrides,
  };
  return { copy, events };
}

async function count(table: string): Promise<number> {
  const [[row]] = await pool.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM \`${db.name}\`.\`${table}\``,
  );
  return Number(row!.n);
}

const refusal = (error: unknown): string => {
  if (isOpsdeckError(error) && error.code === ErrorCode.RestoreRefused) return error.message;
  throw error;
};

beforeAll(async () => {
  db = await createTestDatabase('restored_copy');
  pool = mysql.createPool({ ...MYSQL, database: db.name, connectionLimit: 6 });
  await pool.query('CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(40))');
  await pool.query(`INSERT INTO orders SELECT seq, CONCAT('order ', seq) FROM seq_1_to_${ROWS}`);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('copyRestoredTable and verifyRestoredCopy', () => {
  it('copies into a new side table, then finds it holds exactly the restored rows', async () => {
    const { copy, events } = copyOf('orders__restored_a');
    const result = await copyRestoredTable(copy);
    expect(result.rows).toBe(ROWS);
    expect(events[0]).toBe('start 0');
    expect(events.filter((e) => e.startsWith('range'))).toHaveLength(result.ranges.length);
    expect(await count('orders__restored_a')).toBe(ROWS);
    const verified = await verifyRestoredCopy(pool, pool, {
      schema: db.name,
      table: 'orders',
      sideTable: 'orders__restored_a',
      sampleSize: 3,
    });
    expect(verified.rows).toBe(ROWS);
    expect(verified.comparison).toMatchObject({
      key: ['id'],
      missing: { count: 0 },
      changed: { count: 0 },
      extra: { count: 0 },
    });
  });

  it('refuses a side table that exists and is not this job’s: nothing copied', async () => {
    await pool.query('CREATE TABLE orders__restored_b (id INT PRIMARY KEY, note VARCHAR(40))');
    await pool.query("INSERT INTO orders__restored_b VALUES (1, 'someone else')");
    const { copy, events } = copyOf('orders__restored_b');
    expect(await copyRestoredTable(copy).then(() => 'copied', refusal)).toBe(
      `${db.name}.orders__restored_b exists already and is not this job's; nothing was copied`,
    );
    expect(events).toEqual([]);
    expect(await count('orders__restored_b')).toBe(1);
  });

  it("resumes this job's copy, skipping the key ranges it recorded as done", async () => {
    const first = copyOf('orders__restored_c');
    const done = await copyRestoredTable(first.copy);
    expect(done.ranges.length).toBeGreaterThan(1);
    const { copy, events } = copyOf('orders__restored_c', {
      resume: { started: true, doneRanges: [0] },
    });
    const again = await copyRestoredTable(copy);
    expect(events[0]).toBe('start 1');
    expect(again.rows).toBeLessThan(ROWS);
    expect(await count('orders__restored_c')).toBe(ROWS);
  });

  it('refuses a table that did not exist at the time restored to', async () => {
    const { copy } = copyOf('absent__restored_d', { table: 'absent' });
    expect(await copyRestoredTable(copy).then(() => 'copied', refusal)).toBe(
      `${db.name}.absent did not exist at 2025-11-21T15:59:30Z: nothing to restore`,
    );
  });

  it('fails verification when the side table lost a row (production untouched)', async () => {
    await copyRestoredTable(copyOf('orders__restored_e').copy);
    await pool.query('DELETE FROM orders__restored_e WHERE id = 7');
    const failed = await verifyRestoredCopy(pool, pool, {
      schema: db.name,
      table: 'orders',
      sideTable: 'orders__restored_e',
      sampleSize: 3,
    }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: ErrorCode.StepFailed });
    expect((failed as Error).message).toMatch(
      new RegExp(
        `^the side table does not match the restored table: ${ROWS - 1} rows \\(checksum [\\w-]+\\) vs ${ROWS} rows .*nothing in production was changed$`,
      ),
    );
    expect(await count('orders')).toBe(ROWS);
  });
});
