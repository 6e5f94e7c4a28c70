import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { CancelledError } from '../../../src/errors';
import { sleep } from '../../../src/util/sleep';
import { createTestDatabase, MYSQL } from '../../helpers/services';
import { waitFor } from '../../helpers/wait-for';
import { runApply } from '../../helpers/restore-apply';

/**
 * `/restore-table --mode merge` cancelled (or timed out) while its INSERT … SELECT runs, through
 * the real runbook and engine against the local MariaDB: the side table holds 120,000 rows, 108,000
 * of which production lacks, enough for the INSERT to run for seconds. The job must stop the statement on
 * the server (KILL QUERY), roll back, and say so before the engine goes on, leaving production
 * exactly as it was. Only the mid-run approval is answered by a stand-in gate (approvals have
 * their own tests); everything the merge touches is real.
 */
const SIDE_ROWS = 120_000;
const SIDE = 'ledger__restored_20251121160000';
const LOCKED_GAP = (SIDE_ROWS * 3) / 4;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Connection;

async function one(sql: string, values: unknown[] = []): Promise<RowDataPacket> {
  const [rows] = await admin.query<RowDataPacket[]>(sql, values);
  return rows[0]!;
}

/** Row count and checksum of production's table: what "exactly as before" means. */
async function production(): Promise<{ rows: number; checksum: string }> {
  const { n } = await one(`SELECT COUNT(*) AS n FROM \`${db.name}\`.ledger`);
  const { Checksum } = await one(`CHECKSUM TABLE \`${db.name}\`.ledger EXTENDED`);
  return { rows: Number(n), checksum: String(Checksum) };
}

/** The merge's INSERT as the server runs it, if it runs: its thread and rows written so far. */
async function runningMerge(): Promise<{ id: number; rows: number } | null> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT p.ID AS id, COALESCE(t.trx_rows_modified, 0) AS modified
       FROM information_schema.PROCESSLIST p
       LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
      WHERE p.INFO LIKE 'INSERT INTO \`${db.name}\`.\`ledger\`%'`,
  );
  const row = rows[0];
  return row ? { id: Number(row.id), rows: Number(row.modified) } : null;
}

function run(signal: AbortSignal, settings: { defaultStepTimeoutMs?: number } = {}) {
  return runApply({
    schema: db.name,
    table: 'ledger',
    sideTable: SIDE,
    mode: 'merge',
    comparison: { missing: SIDE_ROWS - SIDE_ROWS / 10, changed: 0, extra: 0 },
    signal,
    ...settings,
  });
}

beforeAll(async () => {
  db = await createTestDatabase('cancel_merge');
  admin = await mysql.createConnection({ ...MYSQL, database: db.name, multipleStatements: true });
  await admin.query(
    `CREATE TABLE \`${db.name}\`.ledger (id INT UNSIGNED PRIMARY KEY, account VARCHAR(64) NOT NULL,
       amount_cents BIGINT NOT NULL, note VARCHAR(255) NULL, KEY (account));
     CREATE TABLE \`${db.name}\`.${SIDE} LIKE \`${db.name}\`.ledger;
     INSERT INTO \`${db.name}\`.${SIDE}
       SELECT seq, CONCAT('acct-', seq % 97), seq * 101, REPEAT('restored ', 16) FROM seq_1_to_${SIDE_ROWS};
     INSERT INTO \`${db.name}\`.ledger
       SELECT seq, CONCAT('acct-', seq % 97), seq * 7, 'written since' FROM seq_1_to_${SIDE_ROWS} WHERE seq % 10 = 0;`,
  );
}, 180_000);

afterAll(async () => {
  admin?.destroy();
  await db?.drop();
});

describe('a merge cancelled while its INSERT … SELECT runs', () => {
  it.each([
    ['cancelled', 'cancelled'],
    ['timed out', 'the step timed out'],
  ] as const)(
    '%s: the statement is killed on the server and production is exactly as before',
    async (how, words) => {
      const before = await production();
      // Another client holds a gap lock three quarters into the missing keys (as production's
      // own traffic may; a key that does not exist locks only the gap, which the merge's reads
      // pass and its inserts wait for): however fast this machine, the INSERT has written rows
      // and cannot finish before the abort.
      const other = await mysql.createConnection(MYSQL);
      await other.query('START TRANSACTION');
      await other.query(`SELECT id FROM \`${db.name}\`.ledger WHERE id = ? FOR UPDATE`, [
        LOCKED_GAP + 5,
      ]);
      const cancel = new AbortController();
      // A timeout shorter than the INSERT: the engine aborts the step itself.
      const job = run(cancel.signal, how === 'timed out' ? { defaultStepTimeoutMs: 5000 } : {});
      try {
        if (how === 'cancelled') {
          await waitFor(
            async () => ((await runningMerge())?.rows ?? 0) > 0,
            90_000,
            'the merge INSERT to be writing rows',
          );
          await sleep(300);
          cancel.abort(new CancelledError('cancelled by alice'));
        }
        await job.result;
        // The moment the engine is done with the step, the statement is no longer running.
        expect(await runningMerge()).toBeNull();
      } finally {
        await other.query('ROLLBACK');
        other.destroy();
      }
      const result = await job.result;
      expect(result.outcome).toBe(how === 'cancelled' ? 'cancelled' : 'failed');
      if (how === 'timed out') expect(result.error).toMatch(/step apply timed out/);
      const said = job.said().join('\n');
      expect(said).toMatch(
        /during the merge: its INSERT … SELECT was stopped \(KILL QUERY on connection \d+\), and its transaction was rolled back\./,
      );
      expect(said).toContain(
        `${words} during the merge: its INSERT … SELECT was stopped (KILL QUERY on connection `,
      );
      expect(said).toContain(`${db.name}.ledger is as it was before the merge: no row inserted.`);
      expect(said).not.toContain('merged: inserted');
      // The thread says so before the engine reports the step's end.
      const types = job.events.map((event) => event.type);
      expect(types.indexOf('say')).toBeLessThan(types.indexOf('step-failed'));
      // Nothing of it commits later either.
      await sleep(1500);
      const after = await production();
      expect(after).toEqual(before);
      // The figure for the issue: rows changed by a cancelled merge.
      console.log(`rows changed by a ${how} merge: ${Math.abs(after.rows - before.rows)}`);
    },
    120_000,
  );

  it('a merge that is not stopped inserts exactly the missing rows', async () => {
    const before = await production();
    const job = run(new AbortController().signal);
    const result = await job.result;
    expect(result.outcome).toBe('succeeded');
    expect(job.said().join('\n')).toContain(
      `merged: inserted ${SIDE_ROWS - SIDE_ROWS / 10} rows into ${db.name}.ledger; rows still missing: 0`,
    );
    expect((await production()).rows).toBe(before.rows + SIDE_ROWS - SIDE_ROWS / 10);
  }, 180_000);
});
