import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { runCli } from '../../../src/app/cli';
import { SEED, seedSandbox } from '../../../devkit/sandbox/seed';
import { startFakeSlackApi, type FakeSlackApi } from '../../../devkit/slack/fake-slack-api';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox';
import {
  LOCAL_MYSQL_TLS,
  MYSQL,
  REDIS_URL,
  createTestDatabase,
  uniqueName,
} from '../../helpers/services';

/**
 * `opsdeck config check --connect`: every connection of the config opened as the bot opens it,
 * one line each, against real servers: the local MariaDB and Redis, the fake Slack Web API, the
 * sandbox cloud (AWS and a database instance), a replica account on the local MariaDB.
 */
let t: TestSandbox;
let slack: FakeSlackApi;
let root: mysql.Connection;
let db: { name: string; drop: () => Promise<void> };
const replicaUser = uniqueName('rep').slice(0, 32);
const dir = mkdtempSync(join(tmpdir(), 'opsdeck-connect-'));
let out: string[];

const baseEnv = {
  BOT_TOKEN: 'xoxb-connect-check-0000',
  SIGNING: 'connect-check-signing-secret',
  DB_PW: SEED.masterPassword,
  REPLICA_PW: 'replica-admin-pw-1',
  REPLICATION_PW: 'replication-pw-1',
  KEY: 'AKIACONNECTCHECK0000',
  SECRET: 'not-checked',
  // The key that signs queued work: every process of the bot needs it, so the check reads it too.
  OPSDECK_QUEUE_KEY: 'connect-check-queue-key-0123456789abcdef',
};

function configFile(overrides: Record<string, unknown> = {}): string {
  const file = join(dir, `${uniqueName('c')}.yaml`);
  writeFileSync(
    file,
    stringify({
      slack: {
        mode: 'http',
        botTokenEnv: 'BOT_TOKEN',
        signingSecretEnv: 'SIGNING',
        apiUrl: slack.url,
      },
      redis: { url: REDIS_URL },
      mysql: { ...MYSQL, database: db.name, tls: LOCAL_MYSQL_TLS },
      aws: {
        region: 'us-east-1',
        endpoint: t.sandbox.url,
        accessKeyIdEnv: 'KEY',
        secretAccessKeyEnv: 'SECRET',
      },
      databases: {
        billing: {
          instance: 'production',
          user: SEED.masterUsername,
          passwordEnv: 'DB_PW',
          tls: { mode: 'verify-identity', caFile: t.sandbox.caFile },
        },
      },
      restoreTable: { workerCidr: '127.0.0.1/32' },
      replicas: {
        analytics: {
          host: MYSQL.host,
          port: MYSQL.port,
          user: replicaUser,
          passwordEnv: 'REPLICA_PW',
          source: 'billing',
          replicationUser: 'repl',
          replicationPasswordEnv: 'REPLICATION_PW',
          tls: LOCAL_MYSQL_TLS,
          sourceCaFile: t.sandbox.caFile,
        },
      },
      ...overrides,
    }),
  );
  return file;
}

async function connect(file: string, env: Record<string, string> = baseEnv): Promise<number> {
  out = [];
  return runCli(['config', 'check', file, '--connect'], env);
}

const lineOf = (name: string) => out.find((line) => line.slice(6).startsWith(`${name} `));

beforeAll(async () => {
  [t, slack, db] = await Promise.all([
    startTestSandbox(),
    startFakeSlackApi(),
    createTestDatabase('connect'),
  ]);
  await seedSandbox(t.clients, { big: false, caFile: t.sandbox.caFile });
  root = await mysql.createConnection(MYSQL);
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [replicaUser, '%', baseEnv.REPLICA_PW]);
}, 120_000);

afterAll(async () => {
  await root.query('DROP USER IF EXISTS ?@?', [replicaUser, '%']);
  await root.end();
  await db.drop();
  await slack.stop();
  await t.dispose();
});

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  t.sandbox.access.allowAll();
});
afterEach(() => jest.restoreAllMocks());

it('opens every configured connection and says ok, one line each', async () => {
  const file = configFile();
  expect(await connect(file)).toBe(0);
  expect(out[0]).toBe(`${file} is valid`);
  // A line per connection, then (after a blank line) what the access rules mean.
  expect(out.slice(1, 7).map((line) => line.slice(0, 6).trim())).toEqual([
    'ok',
    'ok',
    'ok',
    'ok',
    'ok',
    'ok',
  ]);
  expect(out[7]).toMatch(/^\nAccess rules: /);
  expect(lineOf('mysql')).toMatch(
    new RegExp(
      `^ok +mysql +root@localhost at 127\\.0\\.0\\.1:${MYSQL.port}, 10\\.11\\.[0-9]+-MariaDB.*; database ${db.name} exists$`,
    ),
  );
  expect(lineOf('redis')).toMatch(
    /^ok +redis +redis:\/\/127\.0\.0\.1:\d+: Redis \d+\.\d+\.\d+, prefix opsdeck$/,
  );
  expect(lineOf('slack')).toMatch(
    /^ok +slack +auth\.test: opsdeck \(U\w+\) in opsdeck \(fake\) \(T0FAKE\), http mode$/,
  );
  expect(lineOf('aws')).toMatch(
    /^ok +aws +us-east-1 at http:\/\/127\.0\.0\.1:\d+: RDS DescribeDBInstances, EC2 DescribeInstances \(DryRun\) answered$/,
  );
  expect(lineOf('database billing')).toMatch(
    /^ok +database billing +production at 127\.2\.\d+\.\d+:3306, .*MariaDB.*, as admin@%$/,
  );
  expect(lineOf('replica analytics')).toMatch(
    new RegExp(`^ok +replica analytics +127\\.0\\.0\\.1:${MYSQL.port}, .*, as ${replicaUser}@%$`),
  );
  // Nothing was asked of AWS that changes anything.
  expect(
    t.sandbox.access.calls.filter(
      (c) => c.accessKeyId === baseEnv.KEY && !c.dryRun && !/:(Describe|List|Get)/.test(c.action),
    ),
  ).toEqual([]);
});

it('checks the app-level token too in Socket Mode', async () => {
  const file = configFile({
    slack: {
      mode: 'socket',
      botTokenEnv: 'BOT_TOKEN',
      appTokenEnv: 'APP_TOKEN',
      apiUrl: slack.url,
    },
  });
  expect(await connect(file, { ...baseEnv, APP_TOKEN: 'xapp-connect-check-0000' })).toBe(0);
  expect(lineOf('slack')).toMatch(
    /^ok +slack +auth\.test: .*; the app-level token opens Socket Mode connections \(apps\.connections\.open\)$/,
  );
  slack.script('apps.connections.open', [{ error: 'invalid_auth' }]);
  expect(await connect(file, { ...baseEnv, APP_TOKEN: 'xapp-connect-check-0000' })).toBe(1);
  expect(lineOf('slack')).toMatch(/^FAIL +slack .*invalid_auth/);
});

it('names what fails and why, exit code 1', async () => {
  const closed = await closedPort();
  const missingDb = uniqueName('nodb');
  slack.script('auth.test', [{ error: 'invalid_auth' }]);
  t.sandbox.access.deny(['ec2:DescribeInstances'], baseEnv.KEY);
  const file = configFile({
    redis: { url: `redis://127.0.0.1:${closed}` },
    mysql: { ...MYSQL, database: missingDb, tls: LOCAL_MYSQL_TLS },
  });
  expect(
    await connect(file, { ...baseEnv, DB_PW: 'wrong-password', REPLICA_PW: 'wrong-too' }),
  ).toBe(1);
  expect(lineOf('redis')).toMatch(/^FAIL +redis .*(ECONNREFUSED|no answer within)/);
  expect(lineOf('slack')).toMatch(/^FAIL +slack .*invalid_auth/);
  expect(lineOf('aws')).toMatch(
    /^warn +aws .*credentials accepted, but EC2 DescribeInstances \(DryRun\) denied \(bin\/opsdeck aws check lists what is missing\)$/,
  );
  expect(lineOf('mysql')).toContain(
    `database ${missingDb} does not exist (or root@localhost has no privilege on it): the bot creates it at its first start if the account may, else an administrator runs: CREATE DATABASE IF NOT EXISTS \`${missingDb}\``,
  );
  expect(lineOf('mysql')).toMatch(/^warn /);
  expect(lineOf('database billing')).toMatch(
    /^FAIL +database billing +Access denied for user 'admin'/,
  );
  expect(lineOf('replica analytics')).toMatch(/^FAIL +replica analytics +Access denied for user/);
});

it('says which secret is missing when one is, before opening anything', async () => {
  const env: Record<string, string> = { ...baseEnv };
  delete env.BOT_TOKEN;
  expect(await connect(configFile(), env)).toBe(1);
  expect(out[1]).toMatch(/^FAIL +secrets +environment variable BOT_TOKEN is not set/);
});

it('connects to the databases from network.sourceAddress, where security groups judge them', async () => {
  // The seed admits this machine (127.0.0.1) into production's group, not this address.
  const source = '127.3.0.99';
  const file = configFile({ network: { sourceAddress: source } });
  expect(await connect(file)).toBe(1);
  expect(lineOf('database billing')).toMatch(
    /^FAIL +database billing +no answer within 10000 ms: a security group or firewall that does not admit 127\.3\.0\.99 drops the connection unanswered$/,
  );
  // The replica (the local MariaDB, no gate) is reached from there too.
  expect(lineOf('replica analytics')).toMatch(/^ok /);

  const { DBInstances } = await t.clients.rds.send(
    new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'production' }),
  );
  const groupId = DBInstances![0]!.VpcSecurityGroups![0]!.VpcSecurityGroupId!;
  const port = DBInstances![0]!.Endpoint!.Port!;
  const rule = {
    GroupId: groupId,
    IpPermissions: [
      { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: `${source}/32` }] },
    ],
  };
  await t.clients.ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
  try {
    expect(await connect(file)).toBe(0);
    expect(lineOf('database billing')).toMatch(/^ok +database billing +production at /);
  } finally {
    await t.clients.ec2.send(new RevokeSecurityGroupIngressCommand(rule));
  }
}, 60_000);

it("opens each database with its own tls, as the bot does: the sandbox's instances accept only TLS from a client that trusts their CA", async () => {
  const billing = (tls: Record<string, unknown>) =>
    configFile({
      databases: {
        billing: { instance: 'production', user: SEED.masterUsername, passwordEnv: 'DB_PW', tls },
      },
    });
  // No tls (verify-identity against the public CAs and RDS's): the sandbox CA is not among them.
  expect(await connect(billing({}))).toBe(1);
  expect(lineOf('database billing')).toMatch(
    /^FAIL +database billing +MySQL connection databases\.billing \(127\.2\.[0-9.]+:[0-9]+\): the server's certificate is not signed by a CA this connection trusts.*OPSDECK_MYSQL_TLS_UNKNOWN_CA/,
  );
  // Plain TCP: refused by the server (MariaDB answers a plain client of
  // require_secure_transport=ON with access denied).
  expect(await connect(billing({ mode: 'disabled' }))).toBe(1);
  expect(lineOf('database billing')).toMatch(/^FAIL +database billing +Access denied for user/);
  expect(await connect(billing({ mode: 'verify-identity', caFile: t.sandbox.caFile }))).toBe(0);
  expect(lineOf('database billing')).toMatch(/^ok +database billing +production at /);
}, 60_000);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
