import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import mysql from 'mysql2/promise';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import { HealthSnapshots } from '../../src/replicas/health-snapshots';
import type { ReplicaWatchHealth } from '../../src/replicas/replica-health';
import { sandboxCaFile } from '../../devkit/sandbox/sandbox';
import { SEED } from '../../devkit/sandbox/seed';
import {
  startStandaloneServer,
  type StandaloneServer,
} from '../../devkit/sandbox/standalone-server';
import {
  ALERT_CHANNEL,
  ALICE,
  BOB,
  CAROL,
  E2eStack,
  WORKER_CIDR,
  jobIdIn,
  waitFor,
} from '../helpers/e2e-stack';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { REPLICA_COMMAND_ACTION_ID } from '../../src/replicas/replica-alert-messages';
import { ITEMS_TABLE, standaloneTls, startWriteLoad } from '../helpers/replication';
import { answerText, shown } from '../helpers/slack-text';
import { freePort } from '../../devkit/sandbox/free-port';

/**
 * The replica watch end to end: a standalone mariadbd standing for the on-premise replica,
 * replicating over TLS from the seeded sandbox's `production` under a steady write load, watched
 * every second by a real worker process; alerts read from the fake Slack as a reader sees them.
 */

const ACCESS = {
  admins: 'operators',
  groups: { operators: { users: [ALICE.id, BOB.id] }, retention: { users: [BOB.id] } },
  rules: [
    {
      command: 'seed-slave',
      targets: ['*'],
      groups: ['operators'],
      approval: { group: 'operators', distinct: true },
    },
    { command: 'seed-slave status', targets: ['*'], groups: ['operators'] },
    { command: 'seed-slave mute', targets: ['*'], groups: ['operators'] },
    // Raising a source's retention has its own rule: only Bob, no approval (it only ever raises).
    { command: 'seed-slave retention', targets: ['billing'], groups: ['retention'] },
    { command: 'ops *', groups: ['operators'] },
  ],
};
const ADMIN = { user: 'opsdeck', password: 'replica-admin-secret' };
const REPLICA_ADDRESS = '127.4.0.3';
const REPL = { user: SEED.replicationUser, password: SEED.replicationPassword };

describe('replica watch end to end', () => {
  let stack: E2eStack;
  let replicaServer: StandaloneServer;
  let replicaDir: string;
  let sandboxDir: string;
  let caFile: string;
  let source: mysql.Connection;
  let writer: mysql.Connection;
  let replica: mysql.Connection;
  let load: { stop(): Promise<number> };
  let workerPort: number;

  /** The worker's gauge for onprem, as Prometheus scrapes it; undefined when absent. */
  async function gauge(name: string): Promise<number | undefined> {
    const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{replica="onprem"} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  }

  const status = async () =>
    answerText(await stack.slash('status onprem', { command: '/seed-slave', user: ALICE }));
  const listing = async () => answerText(await stack.slash('replicas', { user: ALICE }));

  async function retentionHours(): Promise<number | null> {
    const [results] = await source.query<mysql.RowDataPacket[][]>(
      'CALL mysql.rds_show_configuration',
    );
    const value = results[0]!.find((row) => row.name === 'binlog retention hours')?.value;
    return value === null || value === undefined ? null : Number(value);
  }

  async function one(conn: mysql.Connection, sql: string) {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(sql);
    return rows[0]!;
  }

  /** The watch's roots in the alert channel (as a reader sees them), oldest first. */
  function roots() {
    return stack.slack
      .messages(ALERT_CHANNEL)
      .filter((m) => !m.thread_ts && m.text.includes('Replica watch'))
      .map((m) => ({ ts: m.ts, text: shown(m.text) }));
  }

  function replies(ts: string): string[] {
    return stack.slack
      .messages(ALERT_CHANNEL)
      .filter((m) => m.thread_ts === ts)
      .map((m) => shown(m.text));
  }

  /** The value of the root's button labelled `label`. */
  function buttonValue(ts: string, label: string): string {
    const message = stack.slack.messages(ALERT_CHANNEL).find((m) => m.ts === ts)!;
    const found = JSON.stringify(message.blocks ?? []).match(
      new RegExp(`"text":"${label}"[^}]*\\}[^}]*"value":"([^"]+)"`),
    );
    if (!found) throw new Error(`no ${label} button on: ${JSON.stringify(message.blocks)}`);
    return found[1]!;
  }

  /** Waits for exactly one root that `matches`, and returns it. */
  async function oneRoot(matches: RegExp, what: string) {
    const root = await waitFor(() => roots().find((r) => matches.test(r.text)), 30_000, what);
    expect(roots().filter((r) => matches.test(r.text))).toHaveLength(1);
    return root;
  }

  async function recovered(ts: string, what: string) {
    return waitFor(
      () => {
        const root = roots().find((r) => r.ts === ts);
        return root?.text.startsWith(':white_check_mark:') ? root : null;
      },
      30_000,
      `${what} to recover`,
    );
  }

  /** The watch's next check that started after now. */
  async function nextCheck(): Promise<ReplicaWatchHealth> {
    const after = Date.now();
    const snapshots = new HealthSnapshots(stack.redis, stack.prefix);
    return waitFor(
      async () => {
        const health = await snapshots.read('onprem');
        return health && health.at > after ? health : null;
      },
      30_000,
      'the next check of onprem',
    );
  }

  beforeAll(async () => {
    replicaDir = mkdtempSync(join(tmpdir(), 'opsdeck-watch-'));
    sandboxDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
    workerPort = await freePort();
    caFile = sandboxCaFile(sandboxDir);
    replicaServer = await startStandaloneServer({
      dataDir: replicaDir,
      serverId: 902,
      admin: ADMIN,
      host: REPLICA_ADDRESS,
    });
    stack = new E2eStack(
      {
        access: ACCESS,
        databases: {
          billing: {
            instance: 'production',
            user: 'admin',
            passwordEnv: 'E2E_DB_PASSWORD',
            tls: { mode: 'verify-identity', caFile },
          },
        },
        replicas: {
          onprem: {
            host: replicaServer.host,
            port: replicaServer.port,
            user: ADMIN.user,
            passwordEnv: 'E2E_REPLICA_PASSWORD',
            source: 'billing',
            replicationUser: REPL.user,
            replicationPasswordEnv: 'E2E_REPL_PASSWORD',
            tls: { mode: 'verify-identity', caFile: replicaServer.caFile },
            sourceTls: 'verify-identity',
            sourceCaFile: caFile,
            watchSeconds: 1,
          },
        },
        replicaWatch: { lagSeconds: 3600, marginHours: 24, connectTimeoutMs: 3000 },
        restoreTable: { workerCidr: WORKER_CIDR },
        seedSlave: { pollSeconds: 0.2, maxWaitMinutes: 5, catchUpMinutes: 5, parallelism: 2 },
        runbook: { progressIntervalMs: 0 },
        http: { host: '127.0.0.1', port: 0, workerPort, feedsWorkerPort: 0 },
      },
      {
        sandbox: {
          seed: true,
          config: { dataDir: sandboxDir, createDelayMs: 500, binlogRotateIntervalMs: 2000 },
        },
      },
    );
    Object.assign(stack.env, {
      E2E_DB_PASSWORD: SEED.masterPassword,
      E2E_REPLICA_PASSWORD: ADMIN.password,
      E2E_REPL_PASSWORD: REPL.password,
    });
    await stack.start();
    const { DBInstances } = await stack.sandbox!.clients.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'production' }),
    );
    const production = DBInstances![0]!;
    const endpoint = { host: production.Endpoint!.Address!, port: production.Endpoint!.Port! };
    // The source admits the replica's replication.
    await stack.sandbox!.clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: production.VpcSecurityGroups![0]!.VpcSecurityGroupId!,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: endpoint.port,
            ToPort: endpoint.port,
            IpRanges: [{ CidrIp: `${REPLICA_ADDRESS}/32` }],
          },
        ],
      }),
    );
    const sourceOptions = {
      ...endpoint,
      ...mysqlConnectOptions(endpoint, loadMysqlTls('test', { mode: 'verify-identity', caFile })),
      user: SEED.masterUsername,
      password: SEED.masterPassword,
    };
    source = await mysql.createConnection(sourceOptions);
    writer = await mysql.createConnection(sourceOptions);
    await source.query("CALL mysql.rds_set_configuration('binlog retention hours', 168)");
    replica = await mysql.createConnection({ ...standaloneTls(replicaServer), ...ADMIN });
    // A fresh replica started at the source's current position; what came before is not needed.
    const at = await one(source, 'SHOW MASTER STATUS');
    await replica.query("SET GLOBAL replicate_wild_ignore_table = 'mysql.rds\\\\_%'");
    await replica.query(
      `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
         MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_USE_GTID = no,
         MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 1`,
      [endpoint.host, endpoint.port, REPL.user, REPL.password, at.File, at.Position, caFile],
    );
    await replica.query('START SLAVE');
    await replica.query('SET GLOBAL read_only = ON');
    await source.query('CREATE DATABASE watched');
    await writer.query('USE watched');
    await writer.query(ITEMS_TABLE);
    load = startWriteLoad(writer, 1);
    await waitFor(
      async () => {
        const [rows] = await replica.query<mysql.RowDataPacket[]>(
          "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'watched'",
        );
        return Number(rows[0]!.n) === 1;
      },
      30_000,
      'the replica to replicate the new database',
    );
    await stack.startWorker();
  }, 180_000);

  afterAll(async () => {
    await load?.stop();
    source?.destroy();
    writer?.destroy();
    replica?.destroy();
    await stack?.stop();
    await replicaServer?.stop();
    rmSync(replicaDir, { recursive: true, force: true });
    rmSync(sandboxDir, { recursive: true, force: true });
  }, 180_000);

  it('a healthy replica under writes: checked, no alert', async () => {
    const health = await nextCheck();
    expect(health.replication?.state).toBe('running');
    expect(health.incidents).toEqual([]);
    expect(health.gauges.threadsRunning).toBe(2);
    expect(health.margin?.seconds).toBeGreaterThan(167 * 3600);
    expect(roots()).toEqual([]);
  });

  it('/seed-slave status, /ops replicas and the gauges show the health the watch uses', async () => {
    await nextCheck();
    const shownStatus = await status();
    expect(shownStatus).toContain(':large_green_circle: healthy');
    expect(shownStatus).toMatch(/IO Yes, SQL Yes, \d+ s behind/);
    expect(shownStatus).toContain('read_only ON');
    expect(shownStatus).toContain('retention 168 h');
    expect(shownStatus).toMatch(
      /margin: 16[78]h \d+m before the source purges what the replica needs/,
    );
    const listed = await listing();
    expect(listed).toContain('*onprem*');
    expect(listed).toContain(':large_green_circle: healthy');
    expect(listed).toMatch(/margin: 16[78]h \d+m before/);
    expect(await gauge('opsdeck_replica_threads_running')).toBe(2);
    expect(await gauge('opsdeck_replica_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(await gauge('opsdeck_replica_margin_seconds')).toBeGreaterThan(167 * 3600);
  });

  it('IO thread stopped: one alert, none more when the worker is killed between polls, the root edited on recovery', async () => {
    await replica.query('STOP SLAVE IO_THREAD');
    const stopped = /replication stopped \(IO thread No, SQL thread Yes\)/;
    const root = await oneRoot(stopped, 'the replication-stopped alert');
    expect(root.text).toContain('START REPLICA / START SLAVE');
    // The commands and the gauges say the same as the alert.
    expect(await status()).toContain(
      ':red_circle: onprem: replication stopped (IO thread No, SQL thread Yes)',
    );
    expect(await listing()).toContain('replication stopped (IO thread No, SQL thread Yes)');
    expect(await gauge('opsdeck_replica_threads_running')).toBe(1);
    await stack.killWorker();
    await stack.startWorker();
    // The new worker has checked the stopped replica (twice, so its checks overlap nothing).
    expect((await nextCheck()).incidents.map((i) => i.kind)).toEqual(['stopped']);
    await nextCheck();
    expect(roots().filter((r) => stopped.test(r.text))).toHaveLength(1);
    await replica.query('START SLAVE IO_THREAD');
    const done = await recovered(root.ts, 'the replication-stopped incident');
    expect(done.text).toMatch(/recovered after \d+/);
    expect(done.text).toContain('replication stopped (IO thread No, SQL thread Yes)');
    expect(replies(root.ts).join('\n')).toContain(':white_check_mark: recovered after');
    expect(roots()).toHaveLength(1);
  }, 120_000);

  it('a writable replica: a warning with the command, edited when read_only is back', async () => {
    await replica.query('SET GLOBAL read_only = OFF');
    const root = await oneRoot(/accepts writes \(read_only OFF\)/, 'the writable warning');
    expect(root.text).toMatch(/^:warning:/);
    expect(root.text).toContain('`SET GLOBAL read_only = ON;`');
    await replica.query('SET GLOBAL read_only = ON');
    await recovered(root.ts, 'the writable warning');
  }, 60_000);

  it('a short margin: low retention and a stopped replica warn before the break; Raise retention, by its own rule, ends it', async () => {
    await replica.query('STOP SLAVE');
    await source.query("CALL mysql.rds_set_configuration('binlog retention hours', 1)");
    const root = await oneRoot(/unrecoverable in about/, 'the margin warning');
    expect(root.text).toMatch(
      /at this rate onprem is unrecoverable in about (1h 0m|5\dm \d+s): raise retention now/,
    );
    expect(root.text).toContain(
      "on billing: `CALL mysql.rds_set_configuration('binlog retention hours', 168);`",
    );
    expect(root.text).toContain('`/seed-slave retention billing --hours 168`');
    expect(root.text).toContain('retention 1 h');
    const value = buttonValue(root.ts, 'Raise retention');
    expect(value).toBe('/seed-slave retention billing --hours 168');
    // Alice may reseed and mute, but no rule lets her raise retention.
    expect(await stack.click(REPLICA_COMMAND_ACTION_ID, value, root.ts, ALICE)).toContain(
      'seed-slave retention',
    );
    expect(await retentionHours()).toBe(1);
    const ack = await stack.click(REPLICA_COMMAND_ACTION_ID, value, root.ts, BOB);
    const thread = await stack.finishedThread(jobIdIn(ack), 'succeeded');
    expect(thread.lines.join('\n')).toContain(
      'binlog retention on billing: 1 → 168 h (CALL mysql.rds_set_configuration)',
    );
    expect(await retentionHours()).toBe(168);
    // The replica is still stopped, but its source keeps what it needs for a week again.
    await recovered(root.ts, 'the margin warning');
    const audited = await stack.runtime.auditStore.query({
      actor: BOB.id,
      command: 'seed-slave retention',
    });
    const raised = audited.find((row) => row.type === 'step-recorded');
    expect(raised?.target).toBe('billing');
    expect(JSON.parse(raised!.detailJson!)).toMatchObject({
      what: 'binlog retention raised',
      source: 'billing',
      before: 1,
      after: 168,
    });
    // Typed: nothing to do once it keeps that long; bad input changes nothing.
    const typed = async (text: string) =>
      answerText(await stack.slash(text, { command: '/seed-slave', user: BOB }));
    expect(await typed('retention billing')).toContain(
      'binlog retention on billing is 168 h already (at least the 168 h asked for): nothing to do',
    );
    expect(await typed('retention nope')).toContain(
      'no access rule covers `seed-slave retention` on `nope`',
    );
    expect(await typed('retention billing --hours 169')).toContain(
      'must be a whole number of hours from 1 to 168',
    );
    expect(await retentionHours()).toBe(168);
    await replica.query('START SLAVE');
  }, 90_000);

  it('binary logs purged under a stopped replica: error 1236, needs a reseed', async () => {
    await replica.query('STOP SLAVE');
    await source.query("CALL mysql.rds_set_configuration('binlog retention hours', NULL)");
    await waitFor(
      async () => {
        const status = await one(replica, 'SHOW SLAVE STATUS');
        const [logs] = await source.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
        return !logs.some((log) => log.Log_name === status.Master_Log_File);
      },
      60_000,
      'the source to purge the binlog the replica needs',
    );
    await replica.query('START SLAVE');
    const gone = /needs a reseed/;
    // A new root, or the replication-stopped root edited (its thread says so too).
    const found = await waitFor(
      () => roots().find((r) => gone.test(r.text)),
      60_000,
      'the error 1236 alert',
    );
    expect(roots().filter((r) => gone.test(r.text))).toHaveLength(1);
    const all = [found.text, ...replies(found.ts)].join('\n');
    expect(all).toContain('IO error 1236');
    expect(all).toContain('seed it again: `/seed-slave billing onprem`');
  }, 120_000);

  it('Mute 4 h on the 1236 alert: audited, a new incident of the replica stays out of the channel', async () => {
    const gone = roots().find(
      (r) => /needs a reseed/.test(r.text) && !r.text.startsWith(':white_check_mark:'),
    )!;
    const value = buttonValue(gone.ts, 'Mute 4 h');
    expect(value).toBe('/seed-slave mute onprem --hours 4');
    // Someone outside the access rules cannot mute it.
    expect(await stack.click(REPLICA_COMMAND_ACTION_ID, value, gone.ts, CAROL)).not.toContain(
      'muted until',
    );
    const answer = await stack.click(REPLICA_COMMAND_ACTION_ID, value, gone.ts, ALICE);
    expect(answer).toMatch(/onprem's new alerts are muted until/);
    // In the audit trail: who muted which replica, by the button.
    const audited = await waitFor(
      async () =>
        (
          await stack.runtime.auditStore.query({ actor: ALICE.id, command: 'seed-slave mute' })
        ).find((row) => row.target === 'onprem'),
      10_000,
      'the mute in the audit trail',
    );
    expect(audited.actorName).toBe(ALICE.name);
    const before = roots().length;
    await replica.query('SET GLOBAL read_only = OFF');
    try {
      expect((await nextCheck()).incidents.map((i) => i.kind)).toContain('writable');
      await nextCheck();
      expect(roots()).toHaveLength(before);
    } finally {
      await replica.query('SET GLOBAL read_only = ON');
    }
  }, 60_000);

  it('Reseed on the 1236 alert: as the clicker, through the approval; the replica comes back and the incident closes', async () => {
    const gone = roots().find(
      (r) => /needs a reseed/.test(r.text) && !r.text.startsWith(':white_check_mark:'),
    )!;
    const value = buttonValue(gone.ts, 'Reseed');
    expect(value).toBe('/seed-slave billing onprem');
    expect(await stack.click(REPLICA_COMMAND_ACTION_ID, value, gone.ts, CAROL)).toMatch(
      /not allowed|may not|refused/i,
    );
    const ack = await stack.click(REPLICA_COMMAND_ACTION_ID, value, gone.ts, ALICE);
    expect(ack).toContain('needs approval by someone other than you');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
    await stack.finishedThread(jobId, 'succeeded', 240_000);
    await recovered(gone.ts, 'the error 1236 incident');
    expect((await one(replica, 'SHOW SLAVE STATUS')).Slave_IO_Running).toBe('Yes');
  }, 300_000);
});
