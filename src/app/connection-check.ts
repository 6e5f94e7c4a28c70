import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { WebClient } from '@slack/web-api';
import type { RowDataPacket } from 'mysql2/promise';
import pino from 'pino';
import { permissionOf } from '../aws/permission-probes';
import { describeInstance, endpointOf } from '../aws/rds-instance';
import { auditConnection } from '../audit/audit-connection';
import type { OpsdeckConfig } from '../config/schema';
import { readSecrets } from '../config/secrets';
import { describeError } from '../errors';
import { ownDatabaseStatements, ownDatabaseVisible } from '../mysql/own-database';
import { withPool } from '../mysql/with-pool';
import { awsCommandsInUse } from './aws-check';
import { createRuntime, type Runtime } from './runtime';

/**
 * `opsdeck config check --connect`: every connection the config names, opened the way the bot
 * and the workers open it (the runtime's own connections), one line each: opsdeck's MySQL (and
 * the audit account when it has its own), Redis, Slack (auth.test), AWS, each configured database
 * and replica. Nothing is changed anywhere.
 */

export type ConnectionStatus = 'ok' | 'warn' | 'FAIL' | 'skip';

export interface ConnectionLine {
  status: ConnectionStatus;
  name: string;
  detail: string;
}

export function formatConnectionLine(line: ConnectionLine): string {
  return `${line.status.padEnd(4)}  ${line.name.padEnd(18)} ${line.detail}`;
}

export async function checkConnections(
  config: OpsdeckConfig,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 10_000,
): Promise<ConnectionLine[]> {
  let runtime: Runtime;
  try {
    runtime = createRuntime(config, readSecrets(config, env), pino({ level: 'silent' }), env);
  } catch (error) {
    return [{ status: 'FAIL', name: 'secrets', detail: describeError(error) }];
  }
  const checks: (readonly [string, () => Promise<Omit<ConnectionLine, 'name'>>])[] = [
    ['mysql', () => checkOwnMysql(runtime)],
    ...(config.audit.user !== undefined
      ? [['mysql audit', () => checkAuditAccount(runtime, env)] as const]
      : []),
    ['redis', () => checkRedis(runtime)],
    ['slack', () => checkSlack(runtime, timeoutMs)],
    ['aws', () => checkAws(runtime)],
    ...Object.keys(config.databases).map(
      (name) => [`database ${name}`, () => checkDatabase(runtime, name, timeoutMs)] as const,
    ),
    ...Object.keys(config.replicas).map(
      (name) => [`replica ${name}`, () => checkReplica(runtime, name, timeoutMs)] as const,
    ),
  ];
  try {
    return await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          return { name, ...(await bounded(check(), timeoutMs)) };
        } catch (error) {
          const silent = error instanceof NoAnswer && /^(database|replica) /.test(name);
          const from = config.network.sourceAddress ?? 'this host';
          return {
            name,
            status: 'FAIL' as const,
            detail: silent
              ? `${describeError(error)}: a security group or firewall that does not admit ${from} drops the connection unanswered`
              : describeError(error),
          };
        }
      }),
    );
  } finally {
    // What the checks found is the answer; a connection that fails again while closing is not.
    await runtime.close().catch(() => undefined);
  }
}

/** A check that got no answer at all in time (the server, or whatever is in the way, is silent). */
class NoAnswer extends Error {}

function bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoAnswer(`no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function serverOf(pool: Runtime['mysqlPool']): Promise<{ version: string; account: string }> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT VERSION() AS version, CURRENT_USER() AS account',
  );
  return { version: String(rows[0]?.version), account: String(rows[0]?.account) };
}

async function checkOwnMysql(runtime: Runtime): Promise<Omit<ConnectionLine, 'name'>> {
  const { host, port, database } = runtime.config.mysql;
  const { version, account } = await serverOf(runtime.mysqlPool);
  const where = `${account} at ${host}:${port}, ${version}`;
  if (await ownDatabaseVisible(runtime.mysqlPool, database))
    return { status: 'ok', detail: `${where}; database ${database} exists` };
  return {
    status: 'warn',
    detail: `${where}; database ${database} does not exist (or ${account} has no privilege on it): the bot creates it at its first start if the account may, else an administrator runs: ${ownDatabaseStatements(database, account).join(' ')}`,
  };
}

async function checkAuditAccount(
  runtime: Runtime,
  env: NodeJS.ProcessEnv,
): Promise<Omit<ConnectionLine, 'name'>> {
  const { user, database, table } = auditConnection(runtime.config, env);
  await runtime.auditStore.probe();
  return { status: 'ok', detail: `${user} reads ${database}.${table}` };
}

async function checkRedis(runtime: Runtime): Promise<Omit<ConnectionLine, 'name'>> {
  const { redis } = runtime.config;
  const where =
    redis.sentinels !== undefined
      ? `primary ${redis.masterName} through sentinels ${redis.sentinels.join(', ')}`
      : redis.cluster !== undefined
        ? `cluster ${redis.cluster.join(', ')}`
        : (redis.url ?? 'redis://127.0.0.1:6380').replace(/\/\/[^@/]*@/, '//');
  // The first connection error is the answer (the connection itself would retry for ever).
  const connection = runtime.redis;
  await new Promise<void>((resolve, reject) => {
    if (connection.status === 'ready') return resolve();
    connection.once('ready', () => resolve());
    connection.once('error', reject);
  });
  await connection.ping();
  const info = await connection.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown version';
  return { status: 'ok', detail: `${where}: Redis ${version}, prefix ${redis.prefix}` };
}

async function checkSlack(
  runtime: Runtime,
  timeoutMs: number,
): Promise<Omit<ConnectionLine, 'name'>> {
  const { slack } = runtime.config;
  const client = new WebClient(runtime.secrets.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: timeoutMs,
  });
  const answer = await client.auth.test();
  const who = `auth.test: ${answer.user} (${answer.user_id}) in ${answer.team} (${answer.team_id})`;
  if (slack.mode === 'http') return { status: 'ok', detail: `${who}, http mode` };
  // Socket Mode: the app-level token must open connections (a URL is handed out, not used).
  const app = new WebClient(runtime.secrets.appToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: timeoutMs,
  });
  await app.apps.connections.open();
  return {
    status: 'ok',
    detail: `${who}; the app-level token opens Socket Mode connections (apps.connections.open)`,
  };
}

async function checkAws(runtime: Runtime): Promise<Omit<ConnectionLine, 'name'>> {
  const { aws } = runtime.config;
  const commands = awsCommandsInUse(runtime.config);
  if (commands.length === 0)
    return {
      status: 'skip',
      detail:
        'no command of this config calls AWS (no databases, replicas, phz zones or EC2 deploy targets)',
    };
  const rdsUsed = commands.includes('restore-table') || commands.includes('seed-slave');
  const probes: (readonly [string, () => Promise<unknown>])[] = [
    ...(rdsUsed
      ? [
          [
            'RDS DescribeDBInstances',
            () => runtime.aws.rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20 })),
          ] as const,
        ]
      : []),
    ...(rdsUsed || commands.includes('deploy')
      ? [
          [
            'EC2 DescribeInstances (DryRun)',
            () => runtime.aws.ec2.send(new DescribeInstancesCommand({ DryRun: true })),
          ] as const,
        ]
      : []),
    ...(commands.includes('phz')
      ? [
          [
            'Route53 ListHostedZonesByName',
            () => runtime.aws.route53.send(new ListHostedZonesByNameCommand({ MaxItems: 1 })),
          ] as const,
        ]
      : []),
  ];
  const results = await Promise.all(
    probes.map(async ([what, call]) => {
      try {
        await call();
        return { what, status: 'allowed' as const, detail: undefined };
      } catch (error) {
        return { what, ...permissionOf(error, what) };
      }
    }),
  );
  const where = `${aws.region}${aws.endpoint ? ` at ${aws.endpoint}` : ''}`;
  const failed = results.filter((r) => r.status === 'error');
  if (failed.length > 0)
    return {
      status: 'FAIL',
      detail: `${where}: ${failed.map((r) => `${r.what}: ${r.detail}`).join('; ')}`,
    };
  const denied = results.filter((r) => r.status === 'missing');
  if (denied.length > 0)
    return {
      status: 'warn',
      detail: `${where}: credentials accepted, but ${denied.map((r) => r.what).join(', ')} denied (bin/opsdeck aws check lists what is missing)`,
    };
  return { status: 'ok', detail: `${where}: ${results.map((r) => r.what).join(', ')} answered` };
}

async function checkDatabase(
  runtime: Runtime,
  name: string,
  timeoutMs: number,
): Promise<Omit<ConnectionLine, 'name'>> {
  const target = runtime.databases.target(name)!;
  const instance = await describeInstance(runtime.aws.rds, target.instance);
  if (!instance) return { status: 'FAIL', detail: `RDS has no instance ${target.instance}` };
  const endpoint = endpointOf(instance);
  const pool = runtime.databases.openPool(name, endpoint, {
    connections: 1,
    connectTimeoutMs: timeoutMs,
  });
  const { version, account } = await withPool(pool, serverOf);
  return {
    status: 'ok',
    detail: `${target.instance} at ${endpoint.host}:${endpoint.port}, ${version}, as ${account}`,
  };
}

async function checkReplica(
  runtime: Runtime,
  name: string,
  timeoutMs: number,
): Promise<Omit<ConnectionLine, 'name'>> {
  const replica = runtime.databases.replica(name)!;
  const pool = runtime.databases.openReplicaPool(name, {
    connections: 1,
    connectTimeoutMs: timeoutMs,
  });
  const { version, account } = await withPool(pool, serverOf);
  return {
    status: 'ok',
    detail: `${replica.host}:${replica.port}, ${version}, as ${account}`,
  };
}
