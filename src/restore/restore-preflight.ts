import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { DatabaseTarget } from '../config/databases';
import { describeInstance, readRestoreWindow, type RestoreWindow } from '../aws/rds-instance';
import { ErrorCode, OpsdeckError, isOpsdeckError } from '../errors';
import { readTableShape, type TableShape } from '../mysql/table-shape';
import {
  readTableDependencies,
  mergeObstacle,
  replaceObstacle,
  type TableDependencies,
} from './table-dependencies';
import { isoSeconds } from '../util/time';
import { date, md, type Mrkdwn } from '../slack/mrkdwn';

export type RestoreMode = 'side' | 'merge' | 'replace';

/**
 * The checks /restore-table makes before anything is created (in the planner, and again in the
 * job before the restore): each failure is a RestoreRefused error whose message says what is
 * wrong and, for times, the valid window.
 */

/** /restore-table will not do it: the message says why and what to do instead. Never retried. */
export function refused(message: string, cause?: unknown): OpsdeckError {
  return new OpsdeckError(ErrorCode.RestoreRefused, message, cause === undefined ? {} : { cause });
}

export function describeWindow(window: RestoreWindow): Mrkdwn {
  if (window.earliest === null || window.latest === null) return md`no restore window yet`;
  return md`${date(window.earliest)} to ${date(window.latest)} (${windowText(window)})`;
}

/** The window as plain UTC text, for refusals (errors are text, never markup). */
export function windowText(window: RestoreWindow): string {
  if (window.earliest === null || window.latest === null) return 'no restore window yet';
  return `${isoSeconds(window.earliest)} – ${isoSeconds(window.latest)}`;
}

/** The source instance and its window, with `at` inside it. */
export async function checkRestoreSource(
  rds: RDSClient,
  name: string,
  target: DatabaseTarget,
  at: Date,
  signal?: AbortSignal,
): Promise<{ instance: DBInstance; window: RestoreWindow }> {
  const instance = await describeInstance(rds, target.instance, signal);
  if (!instance)
    throw refused(`RDS has no instance ${target.instance} (database ${name} in the config)`);
  const window = await readRestoreWindow(rds, instance, signal);
  if (window.retentionDays === 0)
    throw refused(
      `instance ${target.instance} has automated backups off (retention 0 days): it has no point in time to restore to`,
    );
  if (window.earliest === null || window.latest === null)
    throw refused(
      `instance ${target.instance} has no restorable time yet (its first backup is not done); try again later`,
    );
  if (at < window.earliest || at > window.latest) {
    const side = at < window.earliest ? 'before' : 'after';
    throw refused(
      `${isoSeconds(at)} is ${side} the restore window of ${name}: ${windowText(window)}. Pick a time inside it.`,
    );
  }
  return { instance, window };
}

export interface ProductionTable {
  shape: TableShape;
  dependencies: TableDependencies;
}

/** The schema and table exist in production, with what the mode needs. */
export async function checkProductionTable(
  pool: Pool,
  schema: string,
  table: string,
  mode: RestoreMode,
  fireTriggers = false,
): Promise<ProductionTable> {
  const [schemas] = await pool.query<RowDataPacket[]>(
    'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [schema],
  );
  if (schemas.length === 0) throw refused(`schema ${schema} does not exist in production`);
  const [tables] = await pool.query<RowDataPacket[]>(
    'SELECT TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  if (tables.length === 0) throw refused(`table ${schema}.${table} does not exist in production`);
  const type = String(tables[0]!.type);
  if (type !== 'BASE TABLE')
    throw refused(
      type === 'SYSTEM VERSIONED' // MariaDB's TABLE_TYPE for a table WITH SYSTEM VERSIONING
        ? `${schema}.${table} is a system-versioned table, which /restore-table does not restore`
        : `${schema}.${table} is a ${type.toLowerCase()}, not a table`,
    );
  let shape: TableShape;
  try {
    shape = await readTableShape(pool, schema, table);
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.MysqlTableNotFound)
      throw refused(`table ${schema}.${table} does not exist in production`);
    throw error;
  }
  if (mode !== 'side' && shape.key === null)
    throw refused(
      `${schema}.${table} has no primary key or NOT NULL unique key, which --mode ${mode} needs to match rows; use --mode side`,
    );
  const dependencies = await readTableDependencies(pool, schema, table);
  const obstacle =
    mode === 'replace'
      ? replaceObstacle(dependencies, schema, table)
      : mode === 'merge'
        ? mergeObstacle(dependencies, schema, table, fireTriggers)
        : undefined;
  if (obstacle) throw refused(obstacle);
  return { shape, dependencies };
}
