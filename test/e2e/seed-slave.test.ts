import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import mysql from 'mysql2/promise';
import { loadShop, shopSizes } from '../helpers/shop-data';
import { shopWriteMix } from '../helpers/shop-writes';
import { TAG } from '../../src/aws/resource-tags';
import { compareCoordinates } from '../../src/mysql/binlog-coordinates';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import { sandboxCaFile } from '../../devkit/sandbox/sandbox';
import { SEED } from '../../devkit/sandbox/seed';
import {
  startStandaloneServer,
  type StandaloneServer,
} from '../../devkit/sandbox/standalone-server';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { undocumentedActions } from '../helpers/iam';
import { ALICE, E2eStack, WORKER_CIDR, waitFor } from '../helpers/e2e-stack';
import { standaloneTls } from '../helpers/replication';
import { createWriteLoad, type WriteLoad } from '../helpers/write-load';
import { answerText } from '../helpers/slack-text';

/**
 * `/seed-slave` end to end: signed slash commands into the real Bolt receiver, the preflight and
 * the runbook against the seeded sandbox (RDS read replicas through the unmodified SDK, real
 * mariadbd instances replicating) and a standalone mariadbd standing for the on-premise replica,
 * with real worker processes. The source takes a steady write load during every job; afterwards
 * the replica has caught up and every table's checksum equals the source's.
 */

const BOB = { id: 'U0BOB', name: 'bob' };
const ACCESS = {
  admins: 'operators',
  groups: { operators: { users: [ALICE.id, BOB.id] } },
  rules: [
    {
      command: 'seed-slave',
      targets: ['*'],
      groups: ['operators'],
      approval: { group: 'operators', distinct: true },
    },
    { command: 'seed-slave status', targets: ['*'], groups: ['operators'] },
    { command: 'ops *', groups: ['operators'] },
  ],
};
const ADMIN = { user: 'opsdeck', password: 'replica-admin-secret' };
/** Where the on-premise replica stands: it listens there, and its replication leaves from there. */
const REPLICA_ADDRESS = '127.4.0.2';
const REPL = { user: SEED.replicationUser, password: SEED.replicationPassword };
const SIZES = shopSizes(60_000);
const WRITES_PER_SECOND = 200;

describe('/seed-slave end to end', () => {
  let stack: E2eStack;
  let replicaServer: StandaloneServer;
  let replicaDir: string;
  let sandboxDir: string;
  let caFile: string;
  let source: mysql.Connection;
  let replica: mysql.Connection;
  const seed = (line: string) => stack.slash(line, { command: '/seed-slave', user: ALICE });

  async function instances() {
    const { DBInstances } = await stack.sandbox!.clients.rds.send(
      new DescribeDBInstancesCommand({}),
    );
    return DBInstances ?? [];
  }

  /** Nothing of the job is left in the cloud: no temporary replica, no rule. */
  async function expectNothingLeft(jobId: string) {
    const left = (await instances()).filter((i) =>
      i.TagList?.some((t) => t.Key === TAG.jobId && t.Value === jobId),
    );
    expect(left).toEqual([]);
    const { SecurityGroupRules } = await stack.sandbox!.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: `tag:${TAG.jobId}`, Values: [jobId] }],
      }),
    );
    expect(SecurityGroupRules ?? []).toEqual([]);
    const { SecurityGroups } = await stack.sandbox!.clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: `tag:${TAG.jobId}`, Values: [jobId] }],
      }),
    );
    expect(SecurityGroups ?? []).toEqual([]);
  }

  /** The inbound rule on production's security group that admits the replica on its port. */
  async function replicaRule() {
    const production = (await instances()).find((i) => i.DBInstanceIdentifier === 'production')!;
    const port = production.Endpoint!.Port!;
    return {
      GroupId: production.VpcSecurityGroups![0]!.VpcSecurityGroupId!,
      port,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          IpRanges: [{ CidrIp: `${REPLICA_ADDRESS}/32` }],
        },
      ],
    };
  }

  async function admitReplica(admit: boolean) {
    const { GroupId, IpPermissions } = await replicaRule();
    await stack.sandbox!.clients.ec2.send(
      admit
        ? new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions })
        : new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions }),
    );
  }

  /**
   * Asks for the seed as Alice; Bob approves the posted plan. Resolves with the job id and the
   * approval message's text.
   */
  async function approvedSeed(line: string): Promise<{ jobId: string; plan: string }> {
    const ack = answerText(await seed(line));
    expect(ack).toContain('needs approval by someone other than you');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
    return { jobId, plan: JSON.stringify(message.blocks) };
  }

  function writeLoad(): WriteLoad {
    const load = createWriteLoad({
      connection: {
        ...sourceTls(),
        user: SEED.masterUsername,
        password: SEED.masterPassword,
        database: 'shop',
      },
      writesPerSecond: WRITES_PER_SECOND,
      mix: shopWriteMix(SIZES, `e2e${Date.now().toString(36)}`),
    });
    load.start();
    return load;
  }

  async function one<T extends mysql.RowDataPacket>(conn: mysql.Connection, sql: string) {
    const [rows] = await conn.query<T[]>(sql);
    return rows[0]!;
  }

  /**
   * The replica has applied everything the source has written (no writes running): its executed
   * coordinates at or past the source's. The sandbox rotates the source's binlog every 2 s, so a
   * replica that applied the rotation is in a later file than the one read here.
   */
  async function caughtUp() {
    const master = await one(source, 'SHOW MASTER STATUS');
    const written = { file: String(master.File), pos: Number(master.Position) };
    await waitFor(
      async () => {
        const status = await one(replica, 'SHOW SLAVE STATUS');
        const executed = {
          file: String(status.Relay_Master_Log_File),
          pos: Number(status.Exec_Master_Log_Pos),
        };
        return status.Slave_SQL_Running === 'Yes' && compareCoordinates(executed, written) >= 0;
      },
      60_000,
      'the replica to apply the last writes',
    );
  }

  async function checksums(conn: mysql.Connection, database: string) {
    const [tables] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
      [database],
    );
    const sums: Record<string, string> = {};
    for (const { name } of tables) {
      const row = await one(conn, `CHECKSUM TABLE \`${database}\`.\`${name as string}\``);
      sums[name as string] = String(row.Checksum);
    }
    return sums;
  }

  async function expectReplicaEqualsSource() {
    await caughtUp();
    for (const database of ['billing', 'shop']) {
      const expected = await checksums(source, database);
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      expect(await checksums(replica, database)).toEqual(expected);
    }
  }

  /**
   * The seeded production accepts only TLS (the sandbox's default, require_secure_transport=ON):
   * the tests reach it as the bot does, its certificate and name checked against the sandbox CA.
   */
  function sourceTls() {
    const production = { host: source.config.host!, port: source.config.port! };
    return {
      ...production,
      ...mysqlConnectOptions(production, loadMysqlTls('test', { mode: 'verify-identity', caFile })),
    };
  }

  beforeAll(async () => {
    replicaDir = mkdtempSync(join(tmpdir(), 'opsdeck-onprem-'));
    sandboxDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
    caFile = sandboxCaFile(sandboxDir);
    replicaServer = await startStandaloneServer({
      dataDir: replicaDir,
      serverId: 901,
      admin: ADMIN,
      host: REPLICA_ADDRESS,
    });
    const onprem = {
      host: replicaServer.host,
      port: replicaServer.port,
      user: ADMIN.user,
      passwordEnv: 'E2E_REPLICA_PASSWORD',
      source: 'billing',
      replicationUser: REPL.user,
      replicationPasswordEnv: 'E2E_REPL_PASSWORD',
      // The bot reaches the replica over TLS; the replica reaches the source over TLS, checking
      // its certificate against the sandbox CA, a file on the replica's host (this one).
      tls: { mode: 'verify-identity', caFile: replicaServer.caFile },
      sourceTls: 'verify-identity',
      sourceCaFile: caFile,
    };
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
          onprem,
          // The same server, told to replicate without TLS: the TLS-only source would refuse it.
          plain: { ...onprem, sourceTls: 'disabled', sourceCaFile: undefined },
          // Nothing listens there: the preflight must say so.
          gone: {
            host: '127.0.0.1',
            port: 9,
            user: ADMIN.user,
            passwordEnv: 'E2E_REPLICA_PASSWORD',
            source: 'billing',
            replicationUser: REPL.user,
            replicationPasswordEnv: 'E2E_REPL_PASSWORD',
            sourceTls: 'disabled',
          },
        },
        restoreTable: { workerCidr: WORKER_CIDR },
        seedSlave: { pollSeconds: 0.2, maxWaitMinutes: 5, catchUpMinutes: 5, parallelism: 2 },
        runbook: { progressIntervalMs: 0 },
      },
      // Binlogs rotate (and, with retention NULL, are purged) every 2 s, as RDS does every few minutes.
      {
        sandbox: {
          seed: true,
          config: { dataDir: sandboxDir, createDelayMs: 1500, binlogRotateIntervalMs: 2000 },
        },
      },
    );
    Object.assign(stack.env, {
      E2E_DB_PASSWORD: SEED.masterPassword,
      E2E_REPLICA_PASSWORD: ADMIN.password,
      E2E_REPL_PASSWORD: REPL.password,
    });
    await stack.start();
    await stack.startWorker();
    const production = (await instances()).find((i) => i.DBInstanceIdentifier === 'production')!;
    const endpoint = { host: production.Endpoint!.Address!, port: production.Endpoint!.Port! };
    // TLS only: a plain connection with the right password is refused.
    await expect(
      mysql.createConnection({
        ...endpoint,
        user: SEED.masterUsername,
        password: SEED.masterPassword,
      }),
    ).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    source = await mysql.createConnection({
      ...endpoint,
      ...mysqlConnectOptions(endpoint, loadMysqlTls('test', { mode: 'verify-identity', caFile })),
      user: SEED.masterUsername,
      password: SEED.masterPassword,
    });
    await source.query('CREATE DATABASE shop');
    await source.query('USE shop');
    await loadShop(source, SIZES);
    replica = await mysql.createConnection({
      ...standaloneTls(replicaServer),
      user: ADMIN.user,
      password: ADMIN.password,
    });
  }, 180_000);

  afterAll(async () => {
    // destroy, not end: end() queues a QUIT behind any command still waiting for its answer.
    source?.destroy();
    replica?.destroy();
    await stack?.stop();
    await replicaServer?.stop();
    rmSync(replicaDir, { recursive: true, force: true });
    rmSync(sandboxDir, { recursive: true, force: true });
  }, 180_000);

  describe('refuses, with the reason and the usage, and changes nothing:', () => {
    const refusals: [string, string][] = [
      ['', '<source> is missing'],
      ['billing', '<replica> is missing'],
      ['billing nowhere', 'nowhere is not a configured replica (configured: gone, onprem, plain)'],
      ['payroll onprem', 'payroll is not a configured database (configured: billing)'],
      ['billing onprem --databases "shop;drop"', '--databases: must be database names'],
      [
        'billing onprem --retention-hours 200',
        '--retention-hours: must be a whole number of hours from 1 to 168',
      ],
      ['billing onprem --retention-hours soon', '--retention-hours: must be a whole number'],
      ['billing onprem --force', 'unknown option --force'],
      [
        'billing onprem --databases shop,nosuch',
        'billing has no database nosuch (it has billing, shop)',
      ],
      [
        'billing onprem --databases shop',
        "the replica would apply the source's changes to billing too",
      ],
      ['billing gone', 'cannot reach the replica gone at 127.0.0.1:9'],
      [
        'billing plain',
        "the source accepts only TLS connections (require_secure_transport=ON) and the replica's sourceTls is disabled",
      ],
    ];
    it.each(refusals)('/seed-slave %s', async (line, message) => {
      const before = (await instances()).length;
      const res = await seed(line);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(answerText(res)).toContain(message);
      expect(answerText(res)).toContain('/seed-slave <rds-source> <replica>');
      expect(await stack.runtime.opsQueue.count()).toBe(0);
      expect((await instances()).length).toBe(before);
    });
  });

  it("refuses a replica with its source's server_id (replication would skip every event as its own)", async () => {
    const sourceId = Number((await one(source, 'SELECT @@server_id AS id')).id);
    await replica.query('SET GLOBAL server_id = ?', [sourceId]);
    try {
      const res = await seed('billing onprem');
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(answerText(res)).toContain(
        `onprem has server_id ${sourceId}, the same as billing: a replica needs its own`,
      );
      expect(await stack.runtime.opsQueue.count()).toBe(0);
    } finally {
      await replica.query('SET GLOBAL server_id = 901');
    }
  });

  it('status and --dry-run show the preflight and the plan, and change nothing', async () => {
    const status = answerText(await seed('status onprem'));
    expect(status).toContain('not configured as a replica');
    expect(status).toMatch(/retention :warning: NULL/);
    expect(status).toMatch(
      /:warning: no inbound rule of sg-[0-9a-f]+ admits onprem \(127\.4\.0\.2\)/,
    );
    const dry = answerText(await seed('billing onprem --dry-run'));
    expect(dry).toContain('Dry run');
    expect(dry).toContain('nothing was changed or queued');
    expect(dry).toContain('binlog retention is NULL');
    expect(dry).toContain('the plan raises it to 168 h');
    expect(dry).toContain('replication user `repl` has REPLICATION SLAVE');
    expect(dry).toContain('server_id 901');
    expect(dry).toContain('databases to seed: billing, shop');
    expect(dry).toContain(
      `replication channel: TLS, the replica checks the source's certificate and name against ${caFile} (a file on the replica host)`,
    );
    expect(dry).toContain(`over TLS, the source's certificate and name checked against ${caFile}`);
    expect(dry).toContain(
      'the plan adds replicate-wild-ignore-table=mysql.rds\\_% while replication is stopped',
    );
    // The seeded source's security group admits this machine and opsdeck, not the replica's
    // address: the plan warns, with the command that adds the rule.
    const { GroupId, port } = await replicaRule();
    // (The app hosts' rule admits their security group, which cannot hold a server outside AWS.)
    expect(dry).toContain(
      `:warning: no inbound rule of ${GroupId} admits onprem (${REPLICA_ADDRESS}) on tcp/${port} (1 on that port admit security groups only): its replication could not connect to billing`,
    );
    expect(dry).toContain(
      `aws ec2 authorize-security-group-ingress --group-id ${GroupId} --protocol tcp --port ${port} --cidr ${REPLICA_ADDRESS}/32`,
    );
    await admitReplica(true);
    try {
      const admitted = `billing's security group ${GroupId} admits onprem (${REPLICA_ADDRESS}) on tcp/${port}: rule sgr-`;
      expect(answerText(await seed('billing onprem --dry-run'))).toContain(admitted);
      expect(answerText(await seed('status onprem'))).toContain(admitted);
    } finally {
      await admitReplica(false);
    }
    expect(await stack.runtime.opsQueue.count()).toBe(0);
    const [retention] = await source.query<mysql.RowDataPacket[]>(
      "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'",
    );
    expect(retention[0]!.value).toBeNull();
  });

  it('seeds the replica under a steady write load: caught up, every table equal, writes never failed or stalled', async () => {
    // As the preflight said: the replica's replication needs an inbound rule on the source.
    await admitReplica(true);
    const load = writeLoad();
    const { jobId, plan } = await approvedSeed('billing onprem');
    // The approvers see what the preflight found and which steps cannot be undone.
    expect(plan).toContain('*Preflight*');
    expect(plan).toContain('binlog retention is NULL');
    expect(plan).toContain('server_id 901');
    expect(plan).toMatch(/irreversible.{0,40}drop and load again billing, shop on onprem/);
    const { lines } = await stack.finishedThread(jobId, 'succeeded', 240_000);
    const stats = await load.stop();
    const all = lines.join('\n');
    expect(all).toContain('binlog retention on billing: NULL → 168 h');
    expect(all).toMatch(
      /:round_pushpin: `production-seed-[0-9a-f]{10}` stopped; its data matches billing at \*binlog\.\d{6}:\d+\*/,
    );
    expect(all).toContain('onprem was not replicating (recorded)');
    expect(all).toContain(':warning: added replicate-wild-ignore-table=mysql.rds\\_% on onprem');
    // Tables were checksummed as their copy finished, the others by the verify step.
    expect(Number(/\((\d+) checksummed as their copy finished\)/.exec(all)?.[1])).toBeGreaterThan(
      0,
    );
    expect(all).toContain('onprem has caught up');
    expect(all).toContain(
      `started replication on onprem; replication channel encrypted: TLS required, the source's certificate and name checked against ${caFile} (Master_SSL_Allowed: Yes)`,
    );
    expect(all).toMatch(/deleted `production-seed-[0-9a-f]{10}`/);
    expect(stats.failed).toBe(0);
    expect(stats.achievedPerSecond).toBeGreaterThan(WRITES_PER_SECOND * 0.8);
    expect(stats.longestGapMs).toBeLessThan(5000);
    await expectReplicaEqualsSource();
    await expectNothingLeft(jobId);
    // RDS writes its own tables on the master; the replica, which lacks them, skips them.
    await source.query("CALL mysql.rds_set_configuration('target delay', 3600)");
    await expectReplicaEqualsSource();
    const status = answerText(await seed('status onprem'));
    expect(status).toContain('filters: replicate-wild-ignore-table=mysql.rds\\_%\n');
    expect(status).toContain(
      `:lock: replication channel encrypted: TLS required, the source's certificate and name checked against ${caFile} (Master_SSL_Allowed: Yes)`,
    );
    // The replica's own view: its channel requires TLS and checks the source's certificate.
    expect(await one(replica, 'SHOW SLAVE STATUS')).toMatchObject({
      Slave_IO_Running: 'Yes',
      Master_SSL_Allowed: 'Yes',
      Master_SSL_CA_File: caFile,
      Master_SSL_Verify_Server_Cert: 'Yes',
    });
    // The coordinates and the replica's state before the change are in the audit trail.
    const recorded = (await stack.runtime.auditStore.jobEvents(jobId))
      .filter((row) => row.type === 'step-recorded')
      .map((row) => JSON.parse(row.detailJson!) as Record<string, unknown>);
    expect(recorded.map((detail) => detail.what)).toEqual([
      'binlog retention raised',
      'source coordinates',
      'replica status before the seed',
      'replica filter added',
      'replica caught up',
    ]);
    expect(recorded[1]).toMatchObject({ file: expect.stringMatching(/^binlog\.\d{6}$/) });
    expect(JSON.stringify(recorded)).not.toContain(REPL.password);
  }, 300_000);

  it("replicates only while the source's security group admits it: a new connection without the rule gets no answer", async () => {
    await admitReplica(false);
    await replica.query('STOP SLAVE');
    // The IO thread gives up on a silent source after slave_net_timeout (60 s by default).
    await replica.query('SET GLOBAL slave_net_timeout = 2');
    try {
      await replica.query('START SLAVE');
      await source.query("CALL mysql.rds_set_configuration('target delay', 7200)");
      const stuck = await waitFor(
        async () => {
          const status = await one(replica, 'SHOW SLAVE STATUS');
          return Number(status.Last_IO_Errno) !== 0 ? status : null;
        },
        30_000,
        'the IO thread to fail to connect',
      );
      expect(stuck.Slave_IO_Running).not.toBe('Yes');
      expect(String(stuck.Last_IO_Error)).toMatch(
        /Lost connection to server at '\w+ for initial communication packet'/,
      );
      expect(stack.sandbox!.sandbox.refusedConnections()).toContainEqual(
        expect.objectContaining({ instance: 'production', client: REPLICA_ADDRESS }),
      );
      // /seed-slave status says why: the same check as the preflight's.
      expect(answerText(await seed('status onprem'))).toContain(
        `:warning: no inbound rule of ${(await replicaRule()).GroupId} admits onprem (${REPLICA_ADDRESS})`,
      );
      await admitReplica(true);
      await replica.query('STOP SLAVE');
      await replica.query('START SLAVE');
      await expectReplicaEqualsSource();
    } finally {
      await replica.query('SET GLOBAL slave_net_timeout = 60');
    }
  }, 120_000);

  it('rebuilds a replica broken by purged binlogs (error 1236), which status recognises', async () => {
    await replica.query('STOP SLAVE');
    await source.query("CALL mysql.rds_set_configuration('binlog retention hours', NULL)");
    const load = writeLoad();
    // The sandbox rotates and, with retention NULL, purges: the replica's next binlog goes away.
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
    await waitFor(
      async () => Number((await one(replica, 'SHOW SLAVE STATUS')).Last_IO_Errno) === 1236,
      30_000,
      'error 1236',
    );
    const status = answerText(await seed('status onprem'));
    expect(status).toContain('IO error 1236');
    expect(status).toContain('seed it again with `/seed-slave');
    const { jobId } = await approvedSeed('billing onprem');
    const { lines } = await stack.finishedThread(jobId, 'succeeded', 240_000);
    expect((await load.stop()).failed).toBe(0);
    expect(lines.join('\n')).toMatch(/onprem as found \(recorded\): .*IO error 1236/);
    await expectReplicaEqualsSource();
    await expectNothingLeft(jobId);
  }, 300_000);

  it('cancelled during the copy: the copy stops before the cleanups, the temporary replica and the rule go, the thread says the replica is left stopped', async () => {
    const { jobId } = await approvedSeed('billing onprem');
    await waitFor(
      async () => (await stack.checkpoint(jobId))?.state.copy !== undefined,
      120_000,
      'the copy to checkpoint',
    );
    expect(answerText(await stack.slash(`cancel ${jobId}`, { user: BOB }))).toContain('Cancelling');
    const { lines } = await stack.finishedThread(jobId, 'cancelled', 120_000);
    // The copy stopped before the cleanups: nothing of it writes to the replica any more.
    const [writing] = await replica.query<mysql.RowDataPacket[]>(
      `SELECT ID FROM information_schema.PROCESSLIST
        WHERE INFO LIKE 'INSERT INTO%' OR INFO LIKE 'LOAD DATA%' OR INFO LIKE 'ALTER TABLE%'`,
    );
    expect(writing).toEqual([]);
    expect(lines.join('\n')).toMatch(
      /cancelled during the copy: (no statement of it was running|the statements it was running were stopped \(KILL QUERY on connections? [\d, ]+\) and rolled back); no statement of the copy runs any more on onprem\./,
    );
    expect(lines.join('\n')).toContain(
      ':warning: onprem is left stopped and partly loaded: it does not replicate.',
    );
    expect((await one(replica, 'SHOW SLAVE STATUS')).Slave_SQL_Running).toBe('No');
    await expectNothingLeft(jobId);
  }, 300_000);

  it('a worker killed during the copy: the new worker resumes it from the checkpoint, one temporary replica, every table equal', async () => {
    const load = writeLoad();
    const { jobId } = await approvedSeed('billing onprem');
    await waitFor(
      async () => (await stack.checkpoint(jobId))?.state.copy !== undefined,
      120_000,
      'the copy to checkpoint',
    );
    await stack.killWorker();
    await stack.startWorker();
    const { lines } = await stack.finishedThread(jobId, 'succeeded', 300_000);
    expect((await load.stop()).failed).toBe(0);
    const all = lines.join('\n');
    expect(all).toContain('resuming the copy from its last checkpoint');
    expect(all.match(/creating the temporary read replica/g)).toHaveLength(1);
    await expectReplicaEqualsSource();
    await expectNothingLeft(jobId);
  }, 360_000);

  // Last, after every run above: with exactly docs/iam/seed-slave.json as its policy,
  // none of them would have failed for a missing permission.
  it('called no AWS action missing from docs/iam/seed-slave.json', () => {
    const { called, missing } = undocumentedActions(stack, 'seed-slave');
    expect(called).toEqual(
      expect.arrayContaining([
        'rds:CreateDBInstanceReadReplica',
        'rds:DeleteDBInstance',
        'ec2:CreateSecurityGroup',
        'ec2:DeleteSecurityGroup',
        'ec2:RevokeSecurityGroupIngress',
      ]),
    );
    expect(missing).toEqual([]);
  });
});
