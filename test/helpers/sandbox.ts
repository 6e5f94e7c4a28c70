import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  waitUntilDBInstanceAvailable,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import { createAwsClients, type AwsClients } from '../../src/aws/clients';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import type { SandboxConfig } from '../../devkit/sandbox/config';
import { startSandbox, type RunningSandbox } from '../../devkit/sandbox/sandbox';

export const MASTER = { user: 'admin', password: 'sandbox-secret-1' };

/** Waiter settings for the sandbox's short transitions (the SDK default polls every 30 s). */
export const FAST_WAITER = { minDelay: 1, maxDelay: 1, maxWaitTime: 90 };

export interface TestSandbox {
  sandbox: RunningSandbox;
  clients: AwsClients;
  dataDir: string;
  /** Stops the sandbox (every mariadbd it runs) and removes its data dir. */
  dispose(): Promise<void>;
}

/** A sandbox with its own temporary data dir and a free port, and SDK clients aimed at it. */
export async function startTestSandbox(
  overrides: Partial<SandboxConfig> = {},
): Promise<TestSandbox> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
  const sandbox = await startSandbox({
    port: 0,
    createDelayMs: 200,
    backupDelayMs: 200,
    deleteDelayMs: 200,
    route53SyncDelayMs: 500,
    restorableLagMs: 1000,
    ...overrides,
    dataDir,
  });
  const clients = sdkClients(sandbox.url);
  return {
    sandbox,
    clients,
    dataDir,
    async dispose() {
      await sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function sdkClients(url: string): AwsClients {
  return createAwsClients(
    {
      region: 'us-east-1',
      endpoint: url,
      accessKeyIdEnv: 'SBX_KEY',
      secretAccessKeyEnv: 'SBX_SECRET',
    },
    { SBX_KEY: 'AKIASANDBOX', SBX_SECRET: 'not-checked' },
  );
}

/**
 * What a client of `t`'s instances uses to reach `instance` as the bot does: TLS, the instance's
 * certificate and its name (the endpoint address) checked against the sandbox's CA.
 */
export function sandboxTls(t: TestSandbox, instance: DBInstance) {
  const endpoint = { host: instance.Endpoint!.Address!, port: instance.Endpoint!.Port! };
  return {
    ...endpoint,
    ...mysqlConnectOptions(
      endpoint,
      loadMysqlTls('test', { mode: 'verify-identity', caFile: t.sandbox.caFile }),
    ),
  };
}

/** A connection as the master user to an instance's endpoint, as the bot would open it. */
export function connectTo(
  t: TestSandbox,
  instance: DBInstance,
  database?: string,
): Promise<mysql.Connection> {
  return mysql.createConnection({
    ...sandboxTls(t, instance),
    user: MASTER.user,
    password: MASTER.password,
    ...(database ? { database } : {}),
  });
}

/** The instance as DescribeDBInstances shows it now. */
export async function describeTestInstance(t: TestSandbox, id: string): Promise<DBInstance> {
  const { DBInstances } = await t.clients.rds.send(
    new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
  );
  return DBInstances![0]!;
}

/** Waits, polling every second, until the instance is available. */
export async function waitTestInstanceAvailable(t: TestSandbox, id: string): Promise<void> {
  await waitUntilDBInstanceAvailable(
    { client: t.clients.rds, ...FAST_WAITER },
    { DBInstanceIdentifier: id },
  );
}

/** Where a test process connects from when it binds no address of its own. */
export const TEST_CLIENT_CIDR = '127.0.0.1/32';

/**
 * A security group `test-clients` that admits the test process (127.0.0.1) on every port, for the
 * instances a test connects to itself: the sandbox enforces security groups, and a new instance's
 * default group admits only its own members.
 */
export async function testClientsGroup(t: TestSandbox): Promise<string> {
  const { SecurityGroups } = await t.clients.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: ['test-clients'] }],
    }),
  );
  const existing = SecurityGroups?.[0]?.GroupId;
  if (existing) return existing;
  const { GroupId } = await t.clients.ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'test-clients',
      Description: 'the test process, on every port',
    }),
  );
  await t.clients.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: TEST_CLIENT_CIDR }] }],
    }),
  );
  return GroupId!;
}

/**
 * A MySQL instance with `database`, the MASTER user and backups on (so it can have read replicas
 * and be restored), once it is available; in the `test-clients` group, so the test reaches it.
 */
export async function createTestInstance(
  t: TestSandbox,
  id: string,
  database: string,
): Promise<DBInstance> {
  await t.clients.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: 'db.t3.micro',
      Engine: 'mysql',
      MasterUsername: MASTER.user,
      MasterUserPassword: MASTER.password,
      DBName: database,
      BackupRetentionPeriod: 1,
      VpcSecurityGroupIds: [await testClientsGroup(t)],
    }),
  );
  await waitTestInstanceAvailable(t, id);
  return describeTestInstance(t, id);
}

/** A pool as the master user to an instance's endpoint (TLS, as connectTo). */
export function poolTo(t: TestSandbox, instance: DBInstance, connectionLimit: number): mysql.Pool {
  return mysql.createPool({
    ...sandboxTls(t, instance),
    user: MASTER.user,
    password: MASTER.password,
    connectionLimit,
  });
}

/**
 * The codes a client gets at the endpoint of a sandbox server that is gone: nobody there
 * (refused), or a sandbox in a test beside this one that has taken the address, whose gate drops
 * a client its groups do not admit (lost, or unanswered until the connect timeout), whose
 * certificates another CA signed, or whose server refuses the client.
 */
export const GONE_ENDPOINT =
  /^(ECONNREFUSED|PROTOCOL_CONNECTION_LOST|ETIMEDOUT|HANDSHAKE_SSL_ERROR|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ER_ACCESS_DENIED_ERROR|ER_SECURE_TRANSPORT_REQUIRED|ER_HOST_NOT_PRIVILEGED)$/;
