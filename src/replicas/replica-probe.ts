import type { RowDataPacket } from 'mysql2/promise';
import type { RDSClient } from '@aws-sdk/client-rds';
import { describeInstance, endpointOf } from '../aws/rds-instance';
import { describeError, ErrorCode, OpsdeckError } from '../errors';
import { listBinlogs, readBinlogSettings } from '../mysql/binlog-source';
import type { DatabaseAccess } from '../mysql/database-access';
import { serverErrno, type Queryable } from '../mysql/queryable';
import { readReplicaStatus } from '../mysql/replica-status';
import { readServerFlavor } from '../mysql/server-flavor';
import { withPool } from '../mysql/with-pool';
import type { BinlogClock } from './binlog-clock';
import type { ReplicaObservation, ReplicaServerFacts } from './replica-observation';

export interface ProbeDeps {
  databases: DatabaseAccess;
  rds: RDSClient;
  clock: BinlogClock;
  connectTimeoutMs: number;
}

/**
 * One check of replica `name`: read-only statements on the replica (version, replica status,
 * read_only, super_read_only) and on its source (binlog retention, SHOW BINARY LOGS), each over
 * the connection's configured TLS. Whatever cannot be read is reported as such, never thrown.
 */
export async function probeReplica(
  name: string,
  deps: ProbeDeps,
  now: () => number = Date.now,
): Promise<ReplicaObservation> {
  const target = deps.databases.replica(name);
  if (!target)
    throw new OpsdeckError(ErrorCode.ConfigInvalid, `no replica named ${name} is configured`);
  const [server, binlogs] = await Promise.all([
    readReplicaServer(name, deps).catch((error: unknown) => ({ error: describeError(error) })),
    readSourceBinlogs(target.source, deps, now).catch((error: unknown) => ({
      error: describeError(error),
    })),
  ]);
  return { replica: name, source: target.source, at: now(), server, binlogs };
}

async function readReplicaServer(name: string, deps: ProbeDeps): Promise<ReplicaServerFacts> {
  const pool = deps.databases.openReplicaPool(name, {
    connections: 1,
    connectTimeoutMs: deps.connectTimeoutMs,
  });
  return withPool(pool, async () => {
    const flavor = await readServerFlavor(pool);
    const status = await readReplicaStatus(pool, flavor);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT @@GLOBAL.read_only AS readOnly');
    return {
      flavor,
      status,
      readOnly: Number(rows[0]?.readOnly) === 1,
      superReadOnly: await readSuperReadOnly(pool),
    };
  });
}

const UNKNOWN_SYSTEM_VARIABLE = 1193;

/** MySQL's super_read_only (5.7.8+); null on MariaDB, which has none. */
async function readSuperReadOnly(db: Queryable): Promise<boolean | null> {
  try {
    const [rows] = await db.query<RowDataPacket[]>('SELECT @@GLOBAL.super_read_only AS value');
    return Number(rows[0]?.value) === 1;
  } catch (error) {
    if (serverErrno(error) === UNKNOWN_SYSTEM_VARIABLE) return null;
    throw error;
  }
}

async function readSourceBinlogs(source: string, deps: ProbeDeps, now: () => number) {
  const target = deps.databases.target(source);
  if (!target)
    throw new OpsdeckError(ErrorCode.ConfigInvalid, `no database named ${source} is configured`);
  const instance = await describeInstance(deps.rds, target.instance);
  if (!instance)
    throw new OpsdeckError(ErrorCode.RdsInstanceUnusable, `RDS has no instance ${target.instance}`);
  const pool = deps.databases.openPool(source, endpointOf(instance), {
    connections: 1,
    connectTimeoutMs: deps.connectTimeoutMs,
  });
  return withPool(pool, async () => {
    const settings = await readBinlogSettings(pool);
    const binlogs = await listBinlogs(pool);
    const closedAt = await deps.clock.observe(
      source,
      binlogs.map((log) => log.name),
      now(),
    );
    return {
      instance: target.instance,
      retentionHours: settings.retentionHours,
      retentionKnown: settings.retentionKnown,
      binlogs,
      closedAt,
    };
  });
}
