import type { RowDataPacket } from 'mysql2/promise';
import { formatCoordinates, type BinlogCoordinates } from './binlog-coordinates';
import type { Queryable } from './queryable';
import { replicaStatusStatement } from './replication-statements';
import { readServerFlavor, type ServerFlavor } from './server-flavor';

export type IoThreadState = 'Yes' | 'No' | 'Connecting';
export type SqlThreadState = 'Yes' | 'No';

/**
 * A replica's SHOW REPLICA STATUS / SHOW SLAVE STATUS, the same whatever the server calls it.
 * `read` is how far the IO thread has read the source's binlog; `executed` is how far the SQL
 * thread has applied it: the coordinates the replica's data is consistent with (the runbook's
 * Relay_Master_Log_File / Exec_Master_Log_Pos), the ones to seed another replica from.
 */
export interface ReplicaStatus {
  sourceHost: string;
  sourcePort: number;
  sourceUser: string;
  ioRunning: IoThreadState;
  sqlRunning: SqlThreadState;
  read: BinlogCoordinates;
  executed: BinlogCoordinates;
  /** Seconds_Behind_Source / _Master: null while the SQL thread (or, on MySQL, IO thread) is not running. */
  secondsBehind: number | null;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** When the last IO / SQL error happened (MySQL only: MariaDB has no such columns). */
  lastIoErrorAt: Date | null;
  lastSqlErrorAt: Date | null;
  /** The channel's TLS settings, as the status names them. */
  channelTls: ChannelTls;
}

/**
 * Source_SSL_Allowed / Master_SSL_Allowed (`Yes`: the channel requires TLS; `No`; `Ignored`: asked
 * for, but the replica has no TLS support), Source_SSL_CA_File and Source_SSL_Verify_Server_Cert
 * (the replica checks the source's certificate and name), with the column names the server used.
 */
export interface ChannelTls {
  allowed: string;
  caFile: string;
  verifyServerCert: boolean;
  /** `Source_SSL_Allowed` (MySQL 8.0.22+) or `Master_SSL_Allowed` (older MySQL, MariaDB). */
  allowedColumn: string;
}

/**
 * The replica status of `db`, or null when it is not configured as a replica. The statement is
 * chosen by the server's version (read when `flavor` is not given). On MySQL with several
 * channels, the default channel ('') is the one read.
 */
export async function readReplicaStatus(
  db: Queryable,
  flavor?: ServerFlavor,
): Promise<ReplicaStatus | null> {
  const [rows] = await db.query<RowDataPacket[]>(
    replicaStatusStatement(flavor ?? (await readServerFlavor(db))),
  );
  const row = rows.find((r) => (r.Channel_Name ?? r.Channel_name ?? '') === '') ?? rows[0];
  return row ? normaliseReplicaStatus(row) : null;
}

/**
 * Maps one status row to ReplicaStatus. The three column-name sets: MySQL 8.0.22+ (Replica_*,
 * Source_*, Relay_Source_Log_File, Exec_Source_Log_Pos, Seconds_Behind_Source); MySQL before
 * 8.0.22 and every MariaDB (Slave_*, Master_*, Relay_Master_Log_File, Exec_Master_Log_Pos,
 * Seconds_Behind_Master). Numbers may come as strings (pools with bigNumberStrings).
 */
export function normaliseReplicaStatus(row: Record<string, unknown>): ReplicaStatus {
  const pick = (modern: string, legacy: string): unknown =>
    row[modern] !== undefined ? row[modern] : row[legacy];
  const text = (modern: string, legacy: string) => String(pick(modern, legacy) ?? '');
  const int = (modern: string, legacy: string) => {
    const value = pick(modern, legacy);
    return value === null || value === undefined || value === '' ? null : Number(value);
  };
  return {
    sourceHost: text('Source_Host', 'Master_Host'),
    sourcePort: int('Source_Port', 'Master_Port') ?? 0,
    sourceUser: text('Source_User', 'Master_User'),
    ioRunning: ioThreadState(text('Replica_IO_Running', 'Slave_IO_Running')),
    sqlRunning: text('Replica_SQL_Running', 'Slave_SQL_Running') === 'Yes' ? 'Yes' : 'No',
    read: {
      file: text('Source_Log_File', 'Master_Log_File'),
      pos: int('Read_Source_Log_Pos', 'Read_Master_Log_Pos') ?? 0,
    },
    executed: {
      file: text('Relay_Source_Log_File', 'Relay_Master_Log_File'),
      pos: int('Exec_Source_Log_Pos', 'Exec_Master_Log_Pos') ?? 0,
    },
    secondsBehind: int('Seconds_Behind_Source', 'Seconds_Behind_Master'),
    lastIoErrno: int('Last_IO_Errno', 'Last_IO_Errno') ?? 0,
    lastIoError: text('Last_IO_Error', 'Last_IO_Error'),
    lastSqlErrno: int('Last_SQL_Errno', 'Last_SQL_Errno') ?? 0,
    lastSqlError: text('Last_SQL_Error', 'Last_SQL_Error'),
    lastIoErrorAt: errorTimestamp(row.Last_IO_Error_Timestamp),
    lastSqlErrorAt: errorTimestamp(row.Last_SQL_Error_Timestamp),
    channelTls: {
      allowed: text('Source_SSL_Allowed', 'Master_SSL_Allowed'),
      caFile: text('Source_SSL_CA_File', 'Master_SSL_CA_File'),
      verifyServerCert:
        text('Source_SSL_Verify_Server_Cert', 'Master_SSL_Verify_Server_Cert') === 'Yes',
      allowedColumn:
        row.Source_SSL_Allowed !== undefined ? 'Source_SSL_Allowed' : 'Master_SSL_Allowed',
    },
  };
}

/**
 * Whether the replication channel is encrypted, in one line: TLS required and the source's
 * certificate and name checked (against which CA file), TLS without those checks, or no TLS.
 * With TLS required, the replica's IO thread does not connect without it.
 */
export function describeChannelTls(tls: ChannelTls): { encrypted: boolean; text: string } {
  const column = `${tls.allowedColumn}: ${tls.allowed || '(empty)'}`;
  if (tls.allowed === 'Yes') {
    const check = tls.verifyServerCert
      ? `the source's certificate and name checked against ${tls.caFile || "the replica's default CAs"}`
      : tls.caFile
        ? `the source's certificate checked against ${tls.caFile}, its name not checked`
        : "the source's certificate not checked";
    return {
      encrypted: true,
      text: `replication channel encrypted: TLS required, ${check} (${column})`,
    };
  }
  if (tls.allowed === 'Ignored')
    return {
      encrypted: false,
      text: `replication channel NOT encrypted: TLS is asked for but this replica has no TLS support (${column})`,
    };
  return {
    encrypted: false,
    text: `replication channel NOT encrypted: the replication password and every change cross the network in clear (${column}); \`/seed-slave\` sets TLS as replicas.<name>.sourceTls says`,
  };
}

/** `Yes`, `No`, or `Connecting` (running, not connected); MariaDB's `Preparing` counts as the latter. */
function ioThreadState(value: string): IoThreadState {
  if (value === 'Yes' || value === 'No') return value;
  return value === '' ? 'No' : 'Connecting';
}

/**
 * MySQL's `YYMMDD HH:MM:SS` error timestamps, in the server's time zone: read as UTC (what RDS
 * runs). Empty or malformed → null.
 */
function errorTimestamp(value: unknown): Date | null {
  const match = /^(\d{2})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(String(value ?? '').trim());
  if (!match) return null;
  const [, yy, mm, dd, h, m, s] = match.map(Number) as number[];
  return new Date(Date.UTC(2000 + yy!, mm! - 1, dd!, h!, m!, s!));
}

export type ReplicaHealthState =
  'not-a-replica' | 'running' | 'connecting' | 'stopped' | 'broken' | 'binlog-gone';

export interface ReplicaHealth {
  state: ReplicaHealthState;
  /** One line: threads, lag, source, executed coordinates. */
  summary: string;
  /** The server's error text, with its number, when a thread reports one. */
  error?: string;
  /** What to do about it. */
  advice?: string;
}

/**
 * IO error 1236 comes with the source's reason. These say the binlog the replica needs is gone:
 * file/position replicas ("Could not find first log file name in binary log index file"), MariaDB
 * GTID replicas ("Could not find GTID state requested by slave in any binlog files ... purged"),
 * MySQL GTID replicas ("... the source has purged binary logs containing GTIDs that the replica
 * requires"). Other 1236 reasons (a position past the end of a file after a source crash, a corrupt
 * event) are reported as broken.
 */
const BINLOG_GONE = /could not find first log file name|could not find GTID state|purged/i;

export const RESEED_ADVICE =
  "the source no longer has the binary log this replica needs: seed it again with `/seed-slave <rds-source> <replica>`, and raise the source's binlog retention first (CALL mysql.rds_set_configuration('binlog retention hours', 168)) so the next outage of a few hours does not break it again";

/** Health of a replica from its status, for a status line and the decision to wait, fail or reseed. */
export function describeReplicaHealth(
  status: ReplicaStatus | null,
  now: Date = new Date(),
): ReplicaHealth {
  if (status === null) return { state: 'not-a-replica', summary: 'not configured as a replica' };
  const lag = status.secondsBehind === null ? 'lag unknown' : `${status.secondsBehind} s behind`;
  const source = `${status.sourceUser}@${status.sourceHost}:${status.sourcePort}`;
  const summary = `IO ${status.ioRunning}, SQL ${status.sqlRunning}, ${lag}, source ${source}, executed ${formatCoordinates(status.executed)}`;
  const since = (at: Date | null) => {
    if (at === null) return '';
    const minutes = Math.max(0, Math.round((now.getTime() - at.getTime()) / 60_000));
    return ` (since ${at.toISOString()}, ${minutes} min ago)`;
  };
  const ioError =
    status.lastIoErrno !== 0 || status.lastIoError !== ''
      ? `IO error ${status.lastIoErrno}: ${status.lastIoError}${since(status.lastIoErrorAt)}`
      : undefined;
  const sqlError =
    status.lastSqlErrno !== 0 || status.lastSqlError !== ''
      ? `SQL error ${status.lastSqlErrno}: ${status.lastSqlError}${since(status.lastSqlErrorAt)}`
      : undefined;
  const error = [ioError, sqlError].filter(Boolean).join('; ') || undefined;
  const withError = error === undefined ? {} : { error };

  if (status.lastIoErrno === 1236 && BINLOG_GONE.test(status.lastIoError))
    return { state: 'binlog-gone', summary, ...withError, advice: RESEED_ADVICE };
  if (status.sqlRunning === 'No' && sqlError !== undefined)
    return {
      state: 'broken',
      summary,
      ...withError,
      advice:
        "the replica's data no longer matches the source (or a statement cannot run on it): seed it again with `/seed-slave <rds-source> <replica>`; skipping the event would leave the data different",
    };
  if (status.ioRunning === 'No' && ioError !== undefined)
    return {
      state: 'broken',
      summary,
      ...withError,
      advice:
        status.lastIoErrno === 1236
          ? 'the source cannot send its binary log from these coordinates: seed the replica again with `/seed-slave <rds-source> <replica>`'
          : "fix the cause the error names (the source's address and security group, the replication user's password or its REPLICATION SLAVE privilege), then start the replica again",
    };
  if (status.ioRunning === 'No' || status.sqlRunning === 'No')
    return {
      state: 'stopped',
      summary,
      ...withError,
      advice:
        'replication is stopped: start it (START REPLICA / START SLAVE, or CALL mysql.rds_start_replication on RDS)',
    };
  if (status.ioRunning === 'Connecting')
    return {
      state: 'connecting',
      summary,
      ...withError,
      ...(ioError === undefined
        ? {}
        : {
            advice:
              "the replica cannot connect to its source: check the source's address and security group, and the replication user: its password and its REPLICATION SLAVE privilege",
          }),
    };
  return { state: 'running', summary, ...withError };
}
