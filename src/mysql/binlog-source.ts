import type { RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { bytesBetween, type BinlogCoordinates, type BinlogFile } from './binlog-coordinates';
import { serverErrno, type Queryable } from './queryable';
import { sourceStatusStatement } from './replication-statements';
import { readServerFlavor, type ServerFlavor } from './server-flavor';

/** The binlog side of a replication source (an RDS instance, or any MySQL/MariaDB server). */
export interface BinlogSettings {
  logBin: boolean;
  /** ROW, MIXED or STATEMENT. */
  format: string;
  serverId: number;
  /** RDS `binlog retention hours`; null when not set (RDS then purges binlogs within minutes) or not RDS. */
  retentionHours: number | null;
  /** False when the server has no mysql.rds_show_configuration: not RDS, retention is its own business. */
  retentionKnown: boolean;
}

const PROCEDURE_DOES_NOT_EXIST = 1305;
const NOT_USING_BINLOG = 1381;
const UNKNOWN_SYSTEM_VARIABLE = 1193;

/** RDS for MySQL accepts 1 to 168 hours (7 days). */
export const MAX_BINLOG_RETENTION_HOURS = 168;

export async function readBinlogSettings(db: Queryable): Promise<BinlogSettings> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT @@GLOBAL.log_bin AS logBin, @@GLOBAL.binlog_format AS format, @@GLOBAL.server_id AS serverId',
  );
  const row: Record<string, unknown> = rows[0] ?? {};
  const settings = {
    logBin: Number(row.logBin) === 1,
    format: String(row.format ?? ''),
    serverId: Number(row.serverId),
  };
  let configuration: { name: string; value: string | null }[];
  try {
    // A CALL answers [result set, OK packet].
    const [results] = await db.query<RowDataPacket[][]>('CALL mysql.rds_show_configuration');
    configuration = (results[0] ?? []) as { name: string; value: string | null }[];
  } catch (error) {
    if (serverErrno(error) !== PROCEDURE_DOES_NOT_EXIST) throw error;
    return { ...settings, retentionHours: null, retentionKnown: false };
  }
  const value = configuration.find((entry) => entry.name === 'binlog retention hours')?.value;
  return {
    ...settings,
    retentionHours: value === null || value === undefined ? null : Number(value),
    retentionKnown: true,
  };
}

/** Sets RDS `binlog retention hours` (1..168): binlogs stay that long for replicas to read. */
export async function setBinlogRetention(db: Queryable, hours: number): Promise<void> {
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_BINLOG_RETENTION_HOURS)
    throw new OpsdeckError(
      ErrorCode.InputInvalid,
      `binlog retention hours must be an integer from 1 to ${MAX_BINLOG_RETENTION_HOURS}, got ${String(hours)}`,
    );
  try {
    await db.query("CALL mysql.rds_set_configuration('binlog retention hours', ?)", [hours]);
  } catch (error) {
    if (serverErrno(error) === PROCEDURE_DOES_NOT_EXIST)
      throw new OpsdeckError(
        ErrorCode.InputInvalid,
        'this server is not RDS (no mysql.rds_set_configuration): set its binlog expiry in its own configuration',
        { cause: error },
      );
    throw error;
  }
}

export interface ReplicationUserCheck {
  exists: boolean;
  /** The account's host patterns (`%`, `10.0.%`, ...), sorted. */
  hosts: string[];
  /** Every account of that name has REPLICATION SLAVE (whichever one the replica's address matches). */
  replicationSlave: boolean;
  /** The accounts' authentication plugins (mysql_native_password, caching_sha2_password, ...), sorted, once each. */
  plugins: string[];
}

/**
 * Looks the replication account up in mysql.user (a table on MySQL, a view over global_priv on
 * MariaDB 10.4+; Repl_slave_priv and plugin on both). A privilege that only comes through a role
 * is not seen.
 */
export async function checkReplicationUser(
  db: Queryable,
  user: string,
): Promise<ReplicationUserCheck> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT Host AS host, Repl_slave_priv AS replSlave, plugin FROM mysql.user WHERE User = ? ORDER BY Host',
    [user],
  );
  return {
    exists: rows.length > 0,
    hosts: rows.map((row) => String(row.host)),
    replicationSlave: rows.length > 0 && rows.every((row) => row.replSlave === 'Y'),
    plugins: [...new Set(rows.map((row) => String(row.plugin ?? '')).filter(Boolean))].sort(),
  };
}

/**
 * The source's require_secure_transport (MySQL 5.7.8+, MariaDB 10.5.2+): ON refuses every plain
 * connection, a replica's too. Null where the server has no such variable.
 */
export async function readRequireSecureTransport(db: Queryable): Promise<boolean | null> {
  try {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT @@GLOBAL.require_secure_transport AS required',
    );
    return Number(rows[0]?.required) === 1;
  } catch (error) {
    if (serverErrno(error) === UNKNOWN_SYSTEM_VARIABLE) return null;
    throw error;
  }
}

/**
 * The source's current binlog coordinates (where its next event will be written). `flavor` is the
 * source's (read when not given): MySQL 8.2+ renamed SHOW MASTER STATUS to SHOW BINARY LOG STATUS.
 */
export async function readSourcePosition(
  db: Queryable,
  flavor?: ServerFlavor,
): Promise<BinlogCoordinates> {
  const [rows] = await db.query<RowDataPacket[]>(
    sourceStatusStatement(flavor ?? (await readServerFlavor(db))),
  );
  const row = rows[0];
  if (!row) throw binlogDisabled();
  return { file: String(row.File), pos: Number(row.Position) };
}

/** The source's binary logs, oldest first, with their sizes (SHOW BINARY LOGS). */
export async function listBinlogs(db: Queryable): Promise<BinlogFile[]> {
  try {
    const [rows] = await db.query<RowDataPacket[]>('SHOW BINARY LOGS');
    return rows.map((row) => ({ name: String(row.Log_name), size: Number(row.File_size) }));
  } catch (error) {
    if (serverErrno(error) === NOT_USING_BINLOG) throw binlogDisabled(error);
    throw error;
  }
}

/**
 * Bytes of the source's binlog from `from` to `to` (0 if `from` is not before `to`), or null when
 * a file in between is no longer on the source: for a catch-up's percent and ETA.
 */
export async function binlogBytesBetween(
  db: Queryable,
  from: BinlogCoordinates,
  to: BinlogCoordinates,
): Promise<number | null> {
  return bytesBetween(await listBinlogs(db), from, to);
}

function binlogDisabled(cause?: unknown): OpsdeckError {
  return new OpsdeckError(
    ErrorCode.MysqlBinlogDisabled,
    'the server has no binary log (log_bin is off): it cannot be a replication source',
    cause === undefined ? {} : { cause },
  );
}
