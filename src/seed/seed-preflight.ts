import type { EC2Client } from '@aws-sdk/client-ec2';
import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { describeInstance, endpointOf } from '../aws/rds-instance';
import { ErrorCode, OpsdeckError } from '../errors';
import {
  checkReplicationUser,
  readBinlogSettings,
  readRequireSecureTransport,
} from '../mysql/binlog-source';
import type { DatabaseAccess, MysqlEndpoint } from '../mysql/database-access';
import {
  describeReplicaHealth,
  readReplicaStatus,
  type ReplicaHealth,
  type ReplicaStatus,
} from '../mysql/replica-status';
import { isAtLeast, readServerFlavor, type ServerFlavor } from '../mysql/server-flavor';
import type { ReplicationChannelTls } from '../mysql/replication-statements';
import { withPool } from '../mysql/with-pool';
import { describeFilters, hasFilters, readReplicationFilters } from '../mysql/replication-filters';
import { filtersProblem, RDS_TABLES_RULE, skipsRdsTables } from './replica-filter-checks';
import { describeSourceIngress } from './source-ingress-check';

/**
 * The checks /seed-slave makes before anything changes (in the planner, so the approvers see
 * them, and again in the job's first step): the source, its binary log and retention, the
 * replication user, the replica (reachable, another server_id, its replication state and
 * filters), whether the source's security groups admit the replica (a warning: the bot cannot see
 * NAT), and the databases. Every problem found is reported at once in one SeedRefused error.
 */

/** Schemas of the server itself, never seeded (RDS's `tmp` and `innodb` included). */
const SYSTEM_SCHEMAS = new Set([
  'mysql',
  'information_schema',
  'performance_schema',
  'sys',
  'tmp',
  'innodb',
]);

export interface SeedRequest {
  source: string;
  replica: string;
  /** Omitted: every user database of the source. */
  databases?: string[] | undefined;
  retentionHours: number;
}

export interface SeedPreflight {
  instance: DBInstance;
  sourceEndpoint: MysqlEndpoint;
  databases: string[];
  retention: { current: number | null; target: number; raise: boolean };
  sourceServerId: number;
  /**
   * The replication account's plugin for CHANGE MASTER TO's GET_SOURCE_PUBLIC_KEY:
   * caching_sha2_password if any of its accounts uses it, else the first one's.
   */
  replicationAuthPlugin?: string;
  /** How the replica will reach the source (replicas.<name>.sourceTls and sourceCaFile). */
  channelTls: ReplicationChannelTls;
  replica: {
    flavor: ServerFlavor;
    serverId: number;
    status: ReplicaStatus | null;
    health: ReplicaHealth;
    /** Its filters skip RDS's own mysql.rds_* tables already; if not, the job adds the rule. */
    skipsRdsTables: boolean;
  };
  /** One line per check, for the plan and the job's thread. */
  findings: string[];
}

/** /seed-slave will not do it: the message says why and what to do instead. Never retried. */
export function seedRefused(message: string, cause?: unknown): OpsdeckError {
  return new OpsdeckError(ErrorCode.SeedRefused, message, cause === undefined ? {} : { cause });
}

export async function runSeedPreflight(
  deps: { rds: RDSClient; ec2: EC2Client; access: DatabaseAccess },
  request: SeedRequest,
  options: { connectTimeoutMs: number; signal?: AbortSignal },
): Promise<SeedPreflight> {
  const { access } = deps;
  const target = access.target(request.source);
  const replicaConfig = access.replica(request.replica);
  if (!target) throw seedRefused(`${request.source} is not a configured database`);
  if (!replicaConfig) throw seedRefused(`${request.replica} is not a configured replica`);
  if (replicaConfig.source !== request.source)
    throw seedRefused(
      `${request.replica} replicates from ${replicaConfig.source} (its \`source\` in the config), not from ${request.source}`,
    );

  const problems: string[] = [];
  const findings: string[] = [];
  const instance = await describeInstance(deps.rds, target.instance, options.signal);
  if (!instance)
    throw seedRefused(`RDS has no instance ${target.instance} (database ${request.source})`);
  if (instance.DBInstanceStatus !== 'available')
    problems.push(`${target.instance} is ${instance.DBInstanceStatus}, not available`);
  if (!instance.BackupRetentionPeriod)
    problems.push(
      `${target.instance} has automated backups off: RDS creates read replicas only of instances with a backup retention period above 0`,
    );
  if (instance.ReadReplicaSourceDBInstanceIdentifier)
    problems.push(
      `${target.instance} is itself a read replica of ${instance.ReadReplicaSourceDBInstanceIdentifier}: seed from the master`,
    );
  const sourceEndpoint = endpointOf(instance);

  const source = await openReachable(() =>
    access.openPool(request.source, sourceEndpoint, {
      connections: 1,
      connectTimeoutMs: options.connectTimeoutMs,
    }),
  ).catch((error: unknown) => {
    throw seedRefused(
      `cannot reach ${request.source} at ${sourceEndpoint.host}:${sourceEndpoint.port}: ${(error as Error).message}`,
      error,
    );
  });
  const { binlog, user, all, requireSecureTransport } = await withPool(source, (pool) =>
    readSourceFacts(pool, replicaConfig.replicationUser),
  );
  const channel = access.replicationChannelTls(request.replica);
  const authPlugin = user.plugins.includes(CACHING_SHA2)
    ? CACHING_SHA2
    : (user.plugins[0] ?? undefined);
  if (!binlog.logBin)
    problems.push(
      `${request.source} has binary logging off: set the backup retention period above 0 (RDS turns the binlog on with automated backups)`,
    );
  else
    findings.push(
      `${request.source}: binary log on (${binlog.format}), server_id ${binlog.serverId}`,
    );
  if (!binlog.retentionKnown)
    problems.push(
      `${request.source} has no mysql.rds_show_configuration: it does not look like RDS for MySQL`,
    );
  const raise = binlog.retentionHours === null || binlog.retentionHours < request.retentionHours;
  findings.push(
    raise
      ? `binlog retention is ${binlog.retentionHours === null ? 'NULL (binlogs purged as soon as they are backed up: a replica that disconnects is lost)' : `${binlog.retentionHours} h`}: the plan raises it to ${request.retentionHours} h`
      : `binlog retention is ${binlog.retentionHours} h (at least the ${request.retentionHours} h asked for): left as it is`,
  );
  if (!user.exists)
    problems.push(
      `the replication user \`${replicaConfig.replicationUser}\` does not exist on ${request.source}: CREATE USER '${replicaConfig.replicationUser}'@'%' IDENTIFIED BY '…'; GRANT REPLICATION SLAVE ON *.* TO '${replicaConfig.replicationUser}'@'%'`,
    );
  else if (!user.replicationSlave)
    problems.push(
      `the replication user \`${replicaConfig.replicationUser}\` lacks REPLICATION SLAVE on ${request.source}: GRANT REPLICATION SLAVE ON *.* TO '${replicaConfig.replicationUser}'@'${user.hosts[0] ?? '%'}'`,
    );
  else
    findings.push(
      `replication user \`${replicaConfig.replicationUser}\` has REPLICATION SLAVE (hosts ${user.hosts.join(', ')})`,
    );

  const databases = request.databases ?? all;
  const missing = databases.filter((db) => !all.includes(db));
  if (missing.length > 0)
    problems.push(
      `${request.source} has no database ${missing.join(', ')} (it has ${all.join(', ') || 'none'})`,
    );
  if (databases.length === 0) problems.push(`${request.source} has no user database to seed`);

  const replicaWhere = `${replicaConfig.host}:${replicaConfig.port}`;
  const replica: SeedPreflight['replica'] = await withPool(
    access.openReplicaPool(request.replica, {
      connections: 1,
      connectTimeoutMs: options.connectTimeoutMs,
    }),
    async (replicaPool) => {
      let flavor: ServerFlavor;
      try {
        flavor = await readServerFlavor(replicaPool);
      } catch (error) {
        throw seedRefused(
          `cannot reach the replica ${request.replica} at ${replicaWhere}: ${(error as Error).message}${problems.length ? `; also: ${problems.join('; ')}` : ''}`,
          error,
        );
      }
      const [rows] = await replicaPool.query<RowDataPacket[]>('SELECT @@server_id AS id');
      const serverId = Number(rows[0]?.id);
      const status = await readReplicaStatus(replicaPool);
      const health = describeReplicaHealth(status);
      if (serverId === binlog.serverId)
        problems.push(
          `${request.replica} has server_id ${serverId}, the same as ${request.source}: a replica needs its own (set server_id in its my.cnf)`,
        );
      findings.push(
        `replica ${request.replica} (${replicaWhere}, ${flavor.text}, server_id ${serverId}): ${health.summary}${health.error ? ` — ${health.error}` : ''}${health.advice ? ` (${health.advice})` : ''}`,
      );
      const channelCheck = checkChannel(channel, flavor, authPlugin, requireSecureTransport);
      if ('problem' in channelCheck) problems.push(channelCheck.problem);
      else findings.push(channelCheck.finding);
      const filters = await readReplicationFilters(replicaPool, flavor);
      const filterProblem = filtersProblem(filters, databases, all);
      if (filterProblem) problems.push(filterProblem);
      else if (hasFilters(filters)) findings.push(`replica filters: ${describeFilters(filters)}`);
      const rdsSkipped = skipsRdsTables(filters);
      if (!rdsSkipped)
        findings.push(
          `${request.replica} would apply RDS's writes to its own mysql.rds_* tables (heartbeat every few minutes), which it lacks, and stop with error 1146: the plan adds replicate-wild-ignore-table=${RDS_TABLES_RULE} while replication is stopped. Add the same line to its my.cnf: a restart forgets it`,
        );
      return { flavor, serverId, status, health, skipsRdsTables: rdsSkipped };
    },
  );
  if (problems.length > 0)
    throw seedRefused(
      `nothing was changed: ${problems.map((p, i) => `(${i + 1}) ${p}`).join(' ')}`,
    );
  findings.push(
    await describeSourceIngress(
      deps.ec2,
      instance,
      { source: request.source, replica: request.replica, replicaHost: replicaConfig.host },
      options.signal,
    ),
  );
  findings.push(
    `databases to seed: ${databases.join(', ')} (dropped and loaded again on ${request.replica})`,
  );
  return {
    instance,
    sourceEndpoint,
    databases,
    retention: { current: binlog.retentionHours, target: request.retentionHours, raise },
    sourceServerId: binlog.serverId,
    ...(authPlugin !== undefined && { replicationAuthPlugin: authPlugin }),
    channelTls: channel,
    replica,
    findings,
  };
}

/** Opens a pool and checks it reaches its server (SELECT 1); a pool that does not is ended. */
async function openReachable(open: () => Pool): Promise<Pool> {
  const pool = open();
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

async function readSourceFacts(source: Pool, replicationUser: string) {
  const binlog = await readBinlogSettings(source);
  const user = await checkReplicationUser(source, replicationUser);
  const requireSecureTransport = await readRequireSecureTransport(source);
  return { binlog, user, all: await listUserDatabases(source), requireSecureTransport };
}

const CACHING_SHA2 = 'caching_sha2_password';

/**
 * The replication channel as the replica will be told (replicas.<name>.sourceTls), against what
 * the source and the replica can do: a source with require_secure_transport=ON refuses a plain
 * channel; a caching_sha2_password account without TLS needs the source's public key
 * (GET_SOURCE_PUBLIC_KEY, MySQL 8.0.4+ replicas only).
 */
export function checkChannel(
  tls: ReplicationChannelTls,
  replica: ServerFlavor,
  authPlugin: string | undefined,
  requireSecureTransport: boolean | null,
): { problem: string } | { finding: string } {
  if (tls.mode === 'verify-identity')
    return {
      finding: `replication channel: TLS, the replica checks the source's certificate and name against ${tls.caFile ?? '?'} (a file on the replica host)`,
    };
  if (tls.mode === 'required')
    return {
      finding: `replication channel: TLS without a check of the source's name${tls.caFile ? ` (certificate checked against ${tls.caFile})` : ' or certificate'}: set sourceTls verify-identity and sourceCaFile to check both`,
    };
  if (requireSecureTransport === true)
    return {
      problem:
        "the source accepts only TLS connections (require_secure_transport=ON) and the replica's sourceTls is disabled: set sourceTls verify-identity and sourceCaFile (the source's CA bundle, on the replica host)",
    };
  if (authPlugin === CACHING_SHA2 && !isAtLeast(replica, 'mysql', [8, 0, 4]))
    return {
      problem: `the replication account uses caching_sha2_password, which a ${replica.text} replica can use only over TLS: set sourceTls verify-identity and sourceCaFile`,
    };
  return {
    finding: `:warning: replication channel NOT encrypted (sourceTls disabled): the replication password and every change cross the network in clear${authPlugin === CACHING_SHA2 ? "; the caching_sha2_password account gets the source's public key (GET_SOURCE_PUBLIC_KEY=1)" : ''}`,
  };
}

/** The source's databases, without the server's own schemas. */
export async function listUserDatabases(db: Pool): Promise<string[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME',
  );
  return rows.map((row) => String(row.name)).filter((name) => !SYSTEM_SCHEMAS.has(name));
}
