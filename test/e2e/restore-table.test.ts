import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
} from '@aws-sdk/client-rds';
import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import mysql from 'mysql2/promise';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { TAG } from '../../src/aws/resource-tags';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import { sandboxCaFile } from '../../devkit/sandbox/sandbox';
import { SEED } from '../../devkit/sandbox/seed';
import type { FakeMessage } from '../../devkit/slack/fake-slack-api';
import { undocumentedActions } from '../helpers/iam';
import {
  ALERT_CHANNEL,
  ALICE,
  E2eStack,
  WORKER_ADDRESS,
  WORKER_CIDR,
  jobIdIn,
  waitFor,
} from '../helpers/e2e-stack';
import { probeEndpoint } from '../helpers/gate-probe';
import { isoSeconds } from '../../src/util/time';
import { answerText } from '../helpers/slack-text';

/**
 * `/restore-table` end to end: signed slash commands into the real Bolt receiver, the plan checked
 * against the seeded sandbox (RDS restore window through the unmodified SDK, the production
 * table in its real mariadbd), real worker processes restoring a real instance to a point in
 * time, copying into production, and cleaning up. The story: rows of a billing table, a DELETE
 * without WHERE at time T, writes after T; then a restore to just before T in each mode.
 */

const BOB = { id: 'U0BOB', name: 'bob' };
const ACCESS = {
  admins: 'operators',
  groups: { operators: { users: [ALICE.id, BOB.id] } },
  rules: [
    { command: 'restore-table', targets: ['*'], groups: ['operators'] },
    { command: 'ops *', groups: ['operators'] },
  ],
};
const ROWS = 1200;
/** Big enough that a worker can be killed in the middle of its copy. */
const BIG_ROWS = 150_000;
const LEDGERS = [
  'ledger_side',
  'ledger_merge',
  'ledger_replace',
  'ledger_keep',
  'ledger_wait',
  'ledger_twin_a',
];
/** The second of two concurrent restores: long enough to still run when the first one ends. */
const TWIN_B_ROWS = 100_000;
/** Restored, then cancelled in the middle of its copy. */
const CANCEL_ROWS = 150_000;

/** The ledger as a billing table looks: varied types, a unique key, NULLs, utf8mb4, JSON, bytes. */
const LEDGER = (name: string) => `CREATE TABLE billing.${name} (
  id INT UNSIGNED PRIMARY KEY,
  account VARCHAR(64) NOT NULL,
  amount_cents BIGINT NOT NULL,
  note TEXT CHARACTER SET utf8mb4 NULL,
  meta JSON NULL,
  digest VARBINARY(16) NULL,
  amount_eur DECIMAL(12,2) AS (amount_cents / 100) STORED,
  UNIQUE KEY uk_ref (account, id),
  KEY (amount_cents)
)`;
const FILL = (
  name: string,
  rows = ROWS,
) => `INSERT INTO billing.${name} (id, account, amount_cents, note, meta, digest)
  SELECT seq, CONCAT('acct-', seq % 37), seq * 101, IF(seq % 5 = 0, NULL, CONCAT('Zahlung ✓ 💶 ', seq)),
         JSON_OBJECT('seq', seq, 'tags', JSON_ARRAY('a', 'b')), UNHEX(MD5(seq))
    FROM seq_1_to_${rows}`;

describe('/restore-table end to end', () => {
  let stack: E2eStack;
  let prod: mysql.Connection;
  let connectProduction: () => Promise<mysql.Connection>;
  let sandboxDir: string;
  let beforeMistake: Date;
  const restore = (line: string, user = ALICE) =>
    stack.slash(line, { command: '/restore-table', user });

  async function instances() {
    const { DBInstances } = await stack.sandbox!.clients.rds.send(
      new DescribeDBInstancesCommand({}),
    );
    return DBInstances ?? [];
  }

  async function jobRules(jobId: string) {
    const { SecurityGroupRules } = await stack.sandbox!.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: `tag:${TAG.jobId}`, Values: [jobId] }],
      }),
    );
    return SecurityGroupRules ?? [];
  }

  async function rows(sql: string): Promise<mysql.RowDataPacket[]> {
    const [result] = await prod.query<mysql.RowDataPacket[]>(sql);
    return result;
  }

  function approvalFor(jobId: string): FakeMessage | undefined {
    return stack.slack
      .messages(ALERT_CHANNEL)
      .filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`(job \`${jobId}\`)`))
      .at(-1);
  }

  async function approveMidRun(jobId: string): Promise<FakeMessage> {
    const message = await waitFor(() => approvalFor(jobId), 120_000, 'the mid-run approval');
    const approvalId = /apv_[0-9a-f]{24}/.exec(JSON.stringify(message.blocks))![0];
    await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
    return message;
  }

  async function queued(line: string): Promise<string> {
    const ack = answerText(await restore(line));
    expect(ack).toContain(':inbox_tray: Queued');
    return jobIdIn(ack);
  }

  /** Whether a connection from the workers' address (and from anywhere else) gets through. */
  async function reachFromWorkers(instance: { Endpoint?: { Address?: string; Port?: number } }) {
    const endpoint = { host: instance.Endpoint!.Address!, port: instance.Endpoint!.Port! };
    return {
      workers: await probeEndpoint(endpoint, { localAddress: WORKER_ADDRESS }),
      others: await probeEndpoint(endpoint),
    };
  }

  /** Waits until the job ended, however; its outcome and thread lines. */
  async function ended(jobId: string) {
    const { root } = await waitFor(
      () => {
        const thread = stack.thread(jobId);
        return /succeeded|failed|cancelled/.test(thread.root?.text ?? '') ? thread : null;
      },
      400_000,
      `job ${jobId} to end`,
    );
    const outcome = /succeeded|failed|cancelled/.exec(root!.text)![0];
    return { outcome, lines: (await stack.finishedThread(jobId, outcome as 'failed')).lines };
  }

  /** Nothing of the job is left in the cloud: no instance, no rule. */
  async function expectNothingLeft(jobId: string) {
    const left = (await instances()).filter((i) =>
      i.TagList?.some((t) => t.Key === TAG.jobId && t.Value === jobId),
    );
    expect(left).toEqual([]);
    expect(await jobRules(jobId)).toEqual([]);
    expect(await jobGroups(jobId)).toEqual([]);
  }

  async function jobGroups(jobId: string) {
    const { SecurityGroups } = await stack.sandbox!.clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: `tag:${TAG.jobId}`, Values: [jobId] }],
      }),
    );
    return SecurityGroups ?? [];
  }

  beforeAll(async () => {
    sandboxDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
    const tls = { mode: 'verify-identity', caFile: sandboxCaFile(sandboxDir) };
    stack = new E2eStack(
      {
        access: ACCESS,
        databases: {
          // The sandbox's instances (restored ones too) accept only TLS: checked against its CA.
          billing: { instance: 'production', user: 'admin', passwordEnv: 'E2E_DB_PASSWORD', tls },
          nobackup: { instance: 'nobackup', user: 'admin', passwordEnv: 'E2E_DB_PASSWORD', tls },
        },
        restoreTable: {
          workerCidr: WORKER_CIDR,
          pollSeconds: 0.2,
          maxWaitMinutes: 5,
          parallelism: 2,
          sweepIntervalMinutes: 0.02,
        },
        runbook: { progressIntervalMs: 0 },
      },
      // Restored instances take 3 s to create: long enough to kill a worker while it waits.
      { sandbox: { seed: true, config: { dataDir: sandboxDir, createDelayMs: 3000 } } },
    );
    stack.env.E2E_DB_PASSWORD = SEED.masterPassword;
    await stack.start();
    await stack.startWorker();
    const production = (await instances()).find((i) => i.DBInstanceIdentifier === 'production')!;
    const endpoint = { host: production.Endpoint!.Address!, port: production.Endpoint!.Port! };
    connectProduction = () =>
      mysql.createConnection({
        ...endpoint,
        ...mysqlConnectOptions(
          endpoint,
          loadMysqlTls('test', { mode: 'verify-identity', caFile: sandboxCaFile(sandboxDir) }),
        ),
        user: SEED.masterUsername,
        password: SEED.masterPassword,
        database: 'billing',
      });
    prod = await connectProduction();
    for (const name of LEDGERS) {
      await prod.query(LEDGER(name));
      await prod.query(FILL(name));
    }
    await prod.query(LEDGER('ledger_big'));
    await prod.query(FILL('ledger_big', BIG_ROWS));
    await prod.query(LEDGER('ledger_twin_b'));
    await prod.query(FILL('ledger_twin_b', TWIN_B_ROWS));
    await prod.query(LEDGER('ledger_cancel'));
    await prod.query(FILL('ledger_cancel', CANCEL_ROWS));
    // A unique reference that a row written after the mistake takes again: merge must refuse.
    await prod.query(
      `CREATE TABLE billing.ledger_conflict (id INT PRIMARY KEY, ref VARCHAR(20) NOT NULL UNIQUE)`,
    );
    await prod.query(
      `INSERT INTO billing.ledger_conflict SELECT seq, CONCAT('r', seq) FROM seq_1_to_10`,
    );
    // A table with a foreign key of its own: replace re-adds it before the swap.
    await prod.query(
      `CREATE TABLE billing.ledger_fk (id INT PRIMARY KEY, customer_id INT UNSIGNED NOT NULL,
         CONSTRAINT fk_ledger_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`,
    );
    await prod.query(`INSERT INTO billing.ledger_fk SELECT seq, 1 + seq % 500 FROM seq_1_to_300`);
    await prod.query(`CREATE TABLE billing.nokey (a INT, b TEXT)`);
    await prod.query(`INSERT INTO billing.nokey VALUES (1, 'x'), (1, 'x')`);
    // A table with an INSERT trigger: merge is refused unless --fire-triggers.
    await prod.query(`CREATE TABLE billing.logged (id INT PRIMARY KEY)`);
    await prod.query(
      `CREATE TRIGGER logged_audit AFTER INSERT ON billing.logged FOR EACH ROW SET @seen = NEW.id`,
    );
    // T: the mistake. The restore goes to the second before it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    beforeMistake = new Date(Math.floor(Date.now() / 1000) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await prod.query(`DELETE FROM billing.ledger_big`);
    await prod.query(`DELETE FROM billing.ledger_twin_b`);
    await prod.query(`DELETE FROM billing.ledger_cancel`);
    await prod.query(
      `INSERT INTO billing.ledger_cancel (id, account, amount_cents) VALUES (5001, 'acct-new', 500)`,
    );
    await prod.query(`DELETE FROM billing.ledger_fk`);
    await prod.query(`DELETE FROM billing.ledger_conflict`);
    await prod.query(`INSERT INTO billing.ledger_conflict VALUES (100, 'r3')`);
    for (const name of LEDGERS) {
      await prod.query(`DELETE FROM billing.${name}`);
      // Writes after T: a row re-created with other values, and new rows.
      await prod.query(
        `INSERT INTO billing.${name} (id, account, amount_cents) VALUES (7, 'acct-7', 1), (5001, 'acct-new', 500), (5002, 'acct-new', 600)`,
      );
    }
    await waitFor(
      async () => {
        const now = (await instances()).find((i) => i.DBInstanceIdentifier === 'production');
        return now!.LatestRestorableTime! > new Date(beforeMistake.getTime() + 2000);
      },
      30_000,
      'the restore window to pass the mistake',
    );
  }, 120_000);
  afterAll(async () => {
    // destroy, not end: end() queues a QUIT behind any command still waiting for its answer.
    prod?.destroy();
    await stack?.stop();
    rmSync(sandboxDir, { recursive: true, force: true });
  }, 180_000);

  describe('refuses, with the reason and the usage, and creates nothing:', () => {
    const refusals: [string, string][] = [
      ['billing', '<table> is missing'],
      ['billing billing.ledger_side', '--at is missing'],
      ['billing ledger_side --at 15m ago', '<table>: must be <schema>.<table>'],
      ['billing billing.led`ger --at 15m ago', '<table>: must be <schema>.<table>'],
      ['billing billing.ledger_side --at yesterday', '--at: "yesterday" must be an ISO-8601 time'],
      ['billing billing.ledger_side --at 2025-02-30T10:00:00Z', 'is not a valid date and time'],
      [
        'billing billing.ledger_side --at 15m ago --mode swap',
        '--mode: must be side, merge or replace',
      ],
      ['billing billing.ledger_side --at 15m ago --force', 'unknown option --force'],
      [
        'payroll billing.ledger_side --at 15m ago',
        'payroll is not a configured database (configured: billing, nobackup)',
      ],
      [
        'billing billing.ledger_side --at 2020-01-01T00:00:00Z',
        '2020-01-01T00:00:00Z is before the restore window of billing',
      ],
      [
        'billing billing.ledger_side --at 2099-01-01T00:00:00Z',
        'is after the restore window of billing',
      ],
      ['billing nosuch.ledger_side --at 1s ago', 'schema nosuch does not exist in production'],
      ['billing billing.nosuch --at 1s ago', 'table billing.nosuch does not exist in production'],
      [
        'billing billing.nokey --at 1s ago --mode merge',
        'has no primary key or NOT NULL unique key, which --mode merge needs',
      ],
      [
        'billing billing.invoices --at 1s ago --mode replace',
        'is referenced by foreign keys (payments.fk_payment_invoice)',
      ],
      [
        'billing billing.logged --at 1s ago --mode merge',
        'billing.logged has INSERT triggers (logged_audit (AFTER INSERT)): a merge would fire them once for every row it inserts. Add --fire-triggers',
      ],
      [
        'billing billing.ledger_side --at 1s ago --mode replace --fire-triggers',
        'only goes with --mode merge',
      ],
    ];
    it.each(refusals)('/restore-table %s', async (line, message) => {
      const before = (await instances()).length;
      const res = await restore(line);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(answerText(res)).toContain(message);
      expect(answerText(res)).toContain('/restore-table <database> <schema>.<table> --at <time>');
      expect(await stack.runtime.opsQueue.count()).toBe(0);
      expect((await instances()).length).toBe(before);
    });

    it('an instance without automated backups (retention 0)', async () => {
      await stack.sandbox!.clients.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'nobackup',
          DBInstanceClass: 'db.t3.micro',
          Engine: 'mysql',
          MasterUsername: SEED.masterUsername,
          MasterUserPassword: SEED.masterPassword,
          BackupRetentionPeriod: 0,
        }),
      );
      const res = await restore('nobackup billing.ledger_side --at 1m ago');
      expect(answerText(res)).toContain('has automated backups off (retention 0 days)');
    });
  });

  it('side (default): the table as it was, next to production, with what the mistake did', async () => {
    const jobId = await queued(`billing billing.ledger_side --at ${isoSeconds(beforeMistake)}`);
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    const all = lines.join('\n');
    expect(all).toMatch(/restoring `production-restore-[0-9a-f]{10}` from production/);
    expect(all).toContain(`verified: \`ledger_side__restored_`);
    expect(all).toContain(`has the restored table's ${ROWS} rows, same checksum`);
    expect(all).toContain(
      `missing from production: *${ROWS - 1}* rows (deleted since) (keys 1, 2, 3`,
    );
    expect(all).toContain('changed in production: *1* rows (updated since) (keys 7)');
    expect(all).toContain('extra in production: *2* rows (written since) (keys 5001, 5002)');
    expect(all).toMatch(/copy-table.*\d%/s);
    const side = (await rows(`SHOW TABLES FROM billing LIKE 'ledger_side__restored_%'`)).map(
      (r) => Object.values(r)[0] as string,
    );
    expect(side).toHaveLength(1);
    // Same content as before the mistake, column for column (the generated one recomputed).
    const [restored] = await rows(
      `SELECT COUNT(*) AS n, SUM(amount_cents) AS total, SUM(note IS NULL) AS nulls,
              SUM(note LIKE '%💶%') AS emoji, SUM(JSON_EXTRACT(meta, '$.seq')) AS seqs,
              SUM(digest = UNHEX(MD5(id))) AS digests, SUM(amount_eur * 100 = amount_cents) AS generated
         FROM billing.${side[0]}`,
    );
    const n = ROWS;
    expect(restored).toEqual({
      n,
      total: String((101 * n * (n + 1)) / 2),
      nulls: String(n / 5),
      emoji: String(n - n / 5),
      seqs: (n * (n + 1)) / 2,
      digests: String(n),
      generated: String(n),
    });
    // Production is untouched.
    expect((await rows('SELECT id FROM billing.ledger_side ORDER BY id')).map((r) => r.id)).toEqual(
      [7, 5001, 5002],
    );
    await expectNothingLeft(jobId);
    expect(all).toMatch(/revoked rule sgr-/);
    expect(all).toMatch(/deleted `production-restore-[0-9a-f]{10}` \(no final snapshot/);
  }, 180_000);

  it('merge: inserts exactly the missing rows, after a second approval, and changes no other row', async () => {
    const jobId = await queued(
      `billing billing.ledger_merge --at ${isoSeconds(beforeMistake)} --mode merge`,
    );
    const approval = await approveMidRun(jobId);
    expect(JSON.stringify(approval.blocks)).toContain(`insert the ${ROWS - 1} rows missing since`);
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines.join('\n')).toContain(
      `merged: inserted ${ROWS - 1} rows into billing.ledger_merge; rows still missing: 0`,
    );
    const [summary] = await rows(
      `SELECT COUNT(*) AS n, SUM(id <= ${ROWS}) AS old, MAX(id) AS top FROM billing.ledger_merge`,
    );
    expect(summary).toEqual({ n: ROWS + 2, old: String(ROWS), top: 5002 });
    // Row 7 was re-created after T: the merge did not touch it.
    expect(await rows('SELECT amount_cents, note FROM billing.ledger_merge WHERE id = 7')).toEqual([
      { amount_cents: 1, note: null },
    ]);
    await expectNothingLeft(jobId);
  }, 180_000);

  it('replace: swaps atomically after a second approval, keeping the old table', async () => {
    const jobId = await queued(
      `billing billing.ledger_replace --at ${isoSeconds(beforeMistake)} --mode replace`,
    );
    await approveMidRun(jobId);
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines.join('\n')).toMatch(
      new RegExp(
        `swapped: billing.ledger_replace is the restored table \\(${ROWS} rows\\); the table it replaced is kept as billing.ledger_replace__before_\\w+ \\(3 rows\\)`,
      ),
    );
    const [now] = await rows('SELECT COUNT(*) AS n, MAX(id) AS top FROM billing.ledger_replace');
    expect(now).toEqual({ n: ROWS, top: ROWS });
    const before = await rows(`SHOW TABLES FROM billing LIKE 'ledger_replace__before_%'`);
    expect(before).toHaveLength(1);
    expect(await rows(`SHOW TABLES FROM billing LIKE 'ledger_replace__restored_%'`)).toEqual([]);
    await expectNothingLeft(jobId);
  }, 180_000);
  it("replace: re-adds the table's own foreign keys to the restored table before the swap", async () => {
    const jobId = await queued(
      `billing billing.ledger_fk --at ${isoSeconds(beforeMistake)} --mode replace`,
    );
    await approveMidRun(jobId);
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines.join('\n')).toContain("added ledger_fk's 1 foreign key(s)");
    const [created] = await rows('SHOW CREATE TABLE billing.ledger_fk');
    expect(created!['Create Table']).toMatch(
      /FOREIGN KEY \(`customer_id`\) REFERENCES `customers` \(`id`\) ON DELETE CASCADE/,
    );
    expect((await rows('SELECT COUNT(*) AS n FROM billing.ledger_fk'))[0]).toEqual({ n: 300 });
    await expectNothingLeft(jobId);
  }, 180_000);

  it('merge: a conflict on another unique key inserts nothing, fails, and still cleans up', async () => {
    const jobId = await queued(
      `billing billing.ledger_conflict --at ${isoSeconds(beforeMistake)} --mode merge`,
    );
    await approveMidRun(jobId);
    const { lines } = await stack.finishedThread(jobId, 'failed');
    expect(lines.join('\n')).toContain('production refused the merge, so nothing was inserted');
    expect(await rows('SELECT id, ref FROM billing.ledger_conflict')).toEqual([
      { id: 100, ref: 'r3' },
    ]);
    await expectNothingLeft(jobId);
  }, 180_000);

  it('cancel while the instance is restored: the instance is deleted, nothing is left', async () => {
    const jobId = await queued(`billing billing.ledger_side --at ${isoSeconds(beforeMistake)}`);
    await waitFor(
      () => stack.thread(jobId).replies.some((r) => r.includes('is creating, waited')),
      60_000,
      'the wait for the instance',
    );
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain(
      `Cancelling job \`${jobId}\``,
    );
    const { lines } = await stack.finishedThread(jobId, 'cancelled');
    expect(lines.join('\n')).toMatch(/deleted `production-restore-[0-9a-f]{10}`/);
    await expectNothingLeft(jobId);
  }, 180_000);

  it('cancel during the copy: its statements are stopped on the server before the cleanups, nothing is written after, production is as before', async () => {
    const production = async () =>
      rows(
        `SELECT COUNT(*) AS n, (SELECT SUM(CRC32(CONCAT_WS('|', id, account, amount_cents, note))) FROM billing.ledger_cancel) AS crc FROM billing.ledger_cancel`,
      );
    const productionBefore = await production();
    const jobId = await queued(`billing billing.ledger_cancel --at ${isoSeconds(beforeMistake)}`);
    await waitFor(
      async () =>
        ((await stack.checkpoint(jobId))?.state.doneRanges as number[] | undefined)?.length,
      120_000,
      'the first copied key range',
    );
    const [found] = await rows(`SHOW TABLES FROM billing LIKE 'ledger_cancel__restored_%'`);
    const side = `\`billing\`.\`${Object.values(found!)[0] as string}\``;
    // Another client locks the side table: every statement the copy starts waits on the server,
    // so statements are in flight for sure when the cancel comes.
    const locker = await connectProduction();
    const statements = async () => {
      const [listed] = await locker.query<mysql.RowDataPacket[]>(
        `SELECT ID AS id, STATE AS state FROM information_schema.PROCESSLIST
          WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`,
        [`%${side}%`],
      );
      return listed;
    };
    let sideBefore: number;
    let lines: string[];
    try {
      await locker.query(`LOCK TABLES ${side} WRITE`);
      await waitFor(
        async () => {
          const listed = await statements();
          return listed.length === 2 && listed.every((s) => /lock/i.test(String(s.state)));
        },
        60_000,
        'both copying connections to wait for the lock',
      );
      const [[counted]] = await locker.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${side}`,
      );
      sideBefore = Number(counted!.n);
      expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain(
        `Cancelling job \`${jobId}\``,
      );
      // The job ends while the lock is still held: its copy stopped without its statements ever
      // running, before the cleanups.
      lines = (await stack.finishedThread(jobId, 'cancelled')).lines;
      expect(await statements()).toEqual([]);
    } finally {
      await locker.query('UNLOCK TABLES');
      locker.destroy();
    }
    expect(lines.join('\n')).toMatch(
      /cancelled during the copy: the statements it was running were stopped \(KILL QUERY on connections \d+, \d+\) and rolled back; no statement of the copy runs any more/,
    );
    await expectNothingLeft(jobId);
    // Nothing of the copy ran once the lock was gone, and production's table never changed.
    const [after] = await rows(`SELECT COUNT(*) AS n FROM ${side}`);
    expect(Number(after!.n)).toBe(sideBefore);
    expect(sideBefore).toBeGreaterThan(0);
    expect(sideBefore).toBeLessThan(CANCEL_ROWS);
    expect(await production()).toEqual(productionBefore);
    console.log(
      `rows written after the cancel (restore-table copy, e2e): ${Number(after!.n) - sideBefore}`,
    );
  }, 300_000);

  it('--keep-instance keeps the restored instance, says where it is, and the sweep reports it once', async () => {
    // Restore to the moment before the mistake, named by the Slack message that reported it.
    const link = `https://acme.slack.com/archives/C0OPS/p${beforeMistake.getTime() / 1000 + 1}000200`;
    const jobId = await queued(`billing billing.ledger_keep --at ${link} --keep-instance`);
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    const all = lines.join('\n');
    expect(all).toContain(
      `billing.ledger_keep as of ${isoSeconds(beforeMistake)}: ${ROWS} rows restored`,
    );
    expect(all).toMatch(
      /kept as asked \(--keep-instance\): `production-restore-[0-9a-f]{10}` at 127\.2\.\d+\.\d+:\d+/,
    );
    const kept = (await instances()).filter((i) =>
      i.TagList?.some((t) => t.Key === TAG.jobId && t.Value === jobId),
    );
    expect(kept).toHaveLength(1);
    expect(kept[0]!.TagList).toContainEqual({ Key: TAG.keep, Value: ALICE.id });
    expect(await jobRules(jobId)).toEqual([]);
    // Its rule is gone: the kept instance is closed to the workers again (and to everyone else).
    expect(await reachFromWorkers(kept[0]!)).toEqual({ workers: 'silent', others: 'silent' });
    const name = kept[0]!.DBInstanceIdentifier!;
    const reports = () =>
      stack.slack
        .messages(ALERT_CHANNEL)
        .filter((m) => m.text.includes('Left in the cloud') && m.text.includes(name));
    const report = await waitFor(
      () => reports()[0],
      30_000,
      'the sweep to report the kept instance',
    );
    expect(report.text).toContain(`RDS instance \`${name}\``);
    expect(report.text).toContain(
      `of job \`${jobId}\`, restore-table (kept as asked with --keep-instance)`,
    );
    // Its security group stays with it, reported in the same message.
    const [group] = await jobGroups(jobId);
    expect(report.text).toContain(
      `security group \`${group!.GroupId}\` (opsdeck-${name}) of job \`${jobId}\`, restore-table (kept as asked with --keep-instance)`,
    );
    // Several sweeps later it has still been reported once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(reports()).toHaveLength(1);
    await stack.sandbox!.clients.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }),
    );
  }, 180_000);

  it('two restores of the same source at once: both succeed, and neither leaves anything behind', async () => {
    const at = isoSeconds(beforeMistake);
    // The first, a merge, opens its network and then waits for its second approval...
    const first = await queued(`billing billing.ledger_twin_a --at ${at} --mode merge`);
    const approval = waitFor(() => approvalFor(first), 120_000, 'the merge approval');
    await approval;
    // ...while the second restores its own instance and starts copying from it.
    const second = await queued(`billing billing.ledger_twin_b --at ${at}`);
    await waitFor(
      () => stack.thread(second).replies.some((r) => r.includes('*copy-table* started')),
      120_000,
      'the second restore to copy',
    );
    // The first ends (its cleanup runs) while the second still has its copy and checks to do.
    await approveMidRun(first);
    const [a, b] = await Promise.all([ended(first), ended(second)]);
    // A job that did not succeed shows the end of its thread: what broke it.
    const outcome = (job: { outcome: string; lines: string[] }) =>
      job.outcome === 'succeeded' ? job.outcome : [job.outcome, ...job.lines.slice(-12)];
    expect({ first: outcome(a), second: outcome(b) }).toEqual({
      first: 'succeeded',
      second: 'succeeded',
    });
    expect(a.lines.join('\n')).toContain(`merged: inserted ${ROWS - 1} rows`);
    expect(b.lines.join('\n')).toContain(
      `has the restored table's ${TWIN_B_ROWS} rows, same checksum`,
    );
    await expectNothingLeft(first);
    await expectNothingLeft(second);
  }, 420_000);

  describe('a worker killed with SIGKILL', () => {
    const doneRanges = async (jobId: string) =>
      ((await stack.checkpoint(jobId))?.state.doneRanges as number[] | undefined)?.length ?? 0;

    it('during the restore wait: a new worker waits for the same instance, none is created twice', async () => {
      const jobId = await queued(`billing billing.ledger_wait --at ${isoSeconds(beforeMistake)}`);
      await waitFor(
        async () =>
          (await stack.checkpoint(jobId))?.completed.includes('restore-instance') &&
          stack.thread(jobId).replies.some((r) => r.includes('is creating, waited')),
        60_000,
        'the wait for the restored instance',
      );
      await stack.killWorker();
      // Available while no worker runs: nobody has opened it yet, so nobody reaches it.
      const restored = await waitFor(
        async () =>
          (await instances()).find(
            (i) =>
              i.TagList?.some((t) => t.Key === TAG.jobId && t.Value === jobId) &&
              i.DBInstanceStatus === 'available',
          ),
        60_000,
        'the restored instance to be available',
      );
      expect(await reachFromWorkers(restored)).toEqual({ workers: 'silent', others: 'silent' });
      await stack.startWorker();
      const { lines } = await stack.finishedThread(jobId, 'succeeded', 120_000);
      const count = (needle: string) => lines.filter((line) => line.includes(needle)).length;
      const port = restored.Endpoint!.Port!;
      expect(lines.join('\n')).toContain(`opened tcp/${port} from ${WORKER_CIDR} in sg-`);
      expect(count('restoring `production-restore-')).toBe(1);
      expect(count('resumed after an interruption (run 2)')).toBe(1);
      expect(count(`has the restored table's ${ROWS} rows, same checksum`)).toBe(1);
      await expectNothingLeft(jobId);
    }, 240_000);

    it('during the copy: the copy resumes at its first unfinished range, without duplicate rows', async () => {
      const jobId = await queued(`billing billing.ledger_big --at ${isoSeconds(beforeMistake)}`);
      await waitFor(
        async () => (await doneRanges(jobId)) >= 1,
        120_000,
        'the first copied key range',
      );
      await stack.killWorker();
      const doneBefore = await doneRanges(jobId);
      await stack.startWorker();
      const { lines } = await stack.finishedThread(jobId, 'succeeded', 180_000);
      const all = lines.join('\n');
      expect(all).toContain(`resuming the copy: ${doneBefore} key ranges were copied before`);
      expect(all).toContain(`has the restored table's ${BIG_ROWS} rows, same checksum`);
      const [side] = await rows(`SHOW TABLES FROM billing LIKE 'ledger_big__restored_%'`);
      const sideName = Object.values(side!)[0] as string;
      const [counted] = await rows(
        `SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids FROM billing.${sideName}`,
      );
      expect(counted).toEqual({ n: BIG_ROWS, ids: BIG_ROWS });
      await expectNothingLeft(jobId);
    }, 300_000);
  });

  // Last, after every run above: with exactly docs/iam/restore-table.json as its policy,
  // none of them would have failed for a missing permission.
  it('called no AWS action missing from docs/iam/restore-table.json', () => {
    const { called, missing } = undocumentedActions(stack, 'restore-table');
    expect(called).toEqual(
      expect.arrayContaining([
        'rds:RestoreDBInstanceToPointInTime',
        'rds:DeleteDBInstance',
        'ec2:CreateSecurityGroup',
        'ec2:DeleteSecurityGroup',
        'ec2:RevokeSecurityGroupIngress',
      ]),
    );
    expect(missing).toEqual([]);
  });
});
