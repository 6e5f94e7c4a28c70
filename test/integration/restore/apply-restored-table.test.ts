import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { ErrorCode, isOpsdeckError } from '../../../src/errors';
import { mergeMissingRows, swapInRestoredTable } from '../../../src/restore/apply-restored-table';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * Taking a verified side table into production, against a real MariaDB, in seconds (the
 * end-to-end /restore-table test takes minutes): merge inserts only the missing rows, all or
 * none; swap renames atomically and keeps the old table; every refusal leaves production as it was.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

const schema = () => db.name;

async function rows(table: string): Promise<RowDataPacket[]> {
  const [found] = await pool.query<RowDataPacket[]>(
    `SELECT * FROM \`${schema()}\`.\`${table}\` ORDER BY id`,
  );
  return found.map((row) => ({ ...row }));
}

/** The tables of the swap tests (the merge tests' stay beside them). */
async function tables(): Promise<string[]> {
  const [found] = await pool.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME NOT LIKE 'invoices%' ORDER BY TABLE_NAME",
    [schema()],
  );
  return found.map((row) => row.name as string);
}

async function run(...statements: string[]): Promise<void> {
  for (const statement of statements) await pool.query(statement);
}

function refusal(error: unknown): string {
  if (isOpsdeckError(error) && error.code === ErrorCode.RestoreRefused) return error.message;
  throw error;
}

beforeAll(async () => {
  db = await createTestDatabase('apply');
  pool = mysql.createPool({ ...MYSQL, database: db.name, connectionLimit: 2 });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('mergeMissingRows', () => {
  beforeEach(async () => {
    await run(
      'DROP TABLE IF EXISTS invoices, invoices__restored_1',
      'CREATE TABLE invoices (id INT PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE, amount INT)',
      'CREATE TABLE invoices__restored_1 LIKE invoices',
      // The past: 1-5. Since then: 3-5 deleted by mistake, 2 changed, 9 added.
      "INSERT INTO invoices__restored_1 VALUES (1,'a',10),(2,'b',20),(3,'c',30),(4,'d',40),(5,'e',50)",
      "INSERT INTO invoices VALUES (1,'a',10),(2,'b',21),(9,'z',90)",
    );
  });

  it('inserts the rows whose key is missing, never updates or deletes, and compares again', async () => {
    const result = await mergeMissingRows(pool, {
      schema: schema(),
      table: 'invoices',
      sideTable: 'invoices__restored_1',
    });
    expect(result).toEqual({
      outcome: 'merged',
      inserted: 3,
      after: { missing: 0, changed: 1, extra: 1 },
    });
    expect((await rows('invoices')).map((r) => [r.id, r.amount])).toEqual([
      [1, 10],
      [2, 21],
      [3, 30],
      [4, 40],
      [5, 50],
      [9, 90],
    ]);
  });

  it('inserts nothing when one row conflicts on another unique key (one statement, all or none)', async () => {
    await run("UPDATE invoices SET code = 'e' WHERE id = 9");
    const before = await rows('invoices');
    const message = await mergeMissingRows(pool, {
      schema: schema(),
      table: 'invoices',
      sideTable: 'invoices__restored_1',
    }).then(() => 'merged', refusal);
    expect(message).toMatch(
      /^production refused the merge, so nothing was inserted \(one statement, all or none\): Duplicate entry 'e'.*The restored rows are in `invoices__restored_1` to merge by hand\.$/,
    );
    expect(await rows('invoices')).toEqual(before);
  });

  it('refuses a table without a key to merge by', async () => {
    await run(
      'CREATE TABLE loose (id INT, note TEXT)',
      'CREATE TABLE loose__restored_1 LIKE loose',
      "INSERT INTO loose__restored_1 VALUES (1, 'x')",
    );
    try {
      const message = await mergeMissingRows(pool, {
        schema: schema(),
        table: 'loose',
        sideTable: 'loose__restored_1',
      }).then(() => 'merged', refusal);
      expect(message).toBe(`${schema()}.loose__restored_1 has no key to merge by`);
      expect(await rows('loose')).toEqual([]);
    } finally {
      await run('DROP TABLE loose, loose__restored_1');
    }
  });
});

describe('swapInRestoredTable', () => {
  beforeEach(async () => {
    await run(
      'SET FOREIGN_KEY_CHECKS = 0',
      'DROP TABLE IF EXISTS ledger, ledger__restored_1, ledger__before_1, accounts, notes',
      'SET FOREIGN_KEY_CHECKS = 1',
      'CREATE TABLE accounts (id INT PRIMARY KEY)',
      'INSERT INTO accounts VALUES (1), (2)',
      `CREATE TABLE ledger (id INT PRIMARY KEY, account_id INT NOT NULL,
         CONSTRAINT ledger_account FOREIGN KEY (account_id) REFERENCES accounts (id))`,
      // The side table is made by the copy: the columns and keys, no foreign keys.
      'CREATE TABLE ledger__restored_1 (id INT PRIMARY KEY, account_id INT NOT NULL)',
      'INSERT INTO ledger VALUES (1, 1)',
      'INSERT INTO ledger__restored_1 VALUES (1, 1), (2, 2), (3, 1)',
    );
  });

  const swap = () =>
    swapInRestoredTable(pool, {
      schema: schema(),
      table: 'ledger',
      sideTable: 'ledger__restored_1',
      beforeTable: 'ledger__before_1',
    });

  it("swaps atomically, the old table kept, the table's foreign keys on the new one; found done when resumed", async () => {
    expect(await swap()).toEqual({
      alreadySwapped: false,
      foreignKeysAdded: ['ledger_account'],
      rows: { swappedIn: 3, kept: 1 },
      autoIncrement: null,
    });
    expect((await rows('ledger')).map((r) => r.id)).toEqual([1, 2, 3]);
    expect((await rows('ledger__before_1')).map((r) => r.id)).toEqual([1]);
    expect(await tables()).not.toContain('ledger__restored_1');
    // The restored table enforces the foreign key now.
    await expect(pool.query('INSERT INTO ledger VALUES (4, 99)')).rejects.toThrow(
      /foreign key constraint fails/,
    );
    expect(await swap()).toEqual({ alreadySwapped: true });
  });

  it('refuses (nothing changed) when the restored rows break the foreign keys today', async () => {
    await run('INSERT INTO ledger__restored_1 VALUES (4, 99)');
    const message = await swap().then(() => 'swapped', refusal);
    expect(message).toMatch(
      /^the restored rows do not satisfy ledger's foreign keys today \(.*\), so the swap was not made; production is unchanged\. Use --mode merge/,
    );
    expect((await rows('ledger')).map((r) => r.id)).toEqual([1]);
    expect(await tables()).toEqual(['accounts', 'ledger', 'ledger__restored_1']);
  });

  it('refuses (nothing changed) when another table references it', async () => {
    await run(
      `CREATE TABLE notes (id INT PRIMARY KEY, ledger_id INT,
         CONSTRAINT notes_ledger FOREIGN KEY (ledger_id) REFERENCES ledger (id))`,
    );
    const message = await swap().then(() => 'swapped', refusal);
    expect(message).toContain('Nothing was changed.');
    expect(message).toContain('notes');
    expect((await rows('ledger')).map((r) => r.id)).toEqual([1]);
    expect(await tables()).toEqual(['accounts', 'ledger', 'ledger__restored_1', 'notes']);
  });
});
