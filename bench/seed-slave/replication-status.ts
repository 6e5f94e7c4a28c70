import type { Connection, RowDataPacket } from 'mysql2/promise';

/**
 * Binlog coordinates and replica status as an operator reads them: SHOW MASTER STATUS on the
 * source, SHOW SLAVE STATUS on a replica (MariaDB's names, which it keeps; MySQL 8.0.22+ says
 * Relay_Source_Log_File / Exec_Source_Log_Pos).
 */
export interface BinlogPosition {
  file: string;
  position: number;
}

export interface SlaveStatus {
  ioRunning: string;
  sqlRunning: string;
  /** Where the SQL thread's last executed transaction ends in the master's binlog. */
  executed: BinlogPosition | null;
  /** What the IO thread has read, not executed. */
  read: BinlogPosition | null;
  secondsBehindMaster: number | null;
  lastIoError: string;
  lastSqlError: string;
  usingGtid: string;
}

const BINLOG_SEQUENCE = /\.(\d+)$/;

/** Orders two positions in one server's binlog: file sequence number first, then offset. */
export function compareBinlogPositions(a: BinlogPosition, b: BinlogPosition): number {
  const sequence = (file: string) => {
    const match = BINLOG_SEQUENCE.exec(file);
    if (!match) throw new Error(`not a binlog file name: ${file}`);
    return Number(match[1]);
  };
  return sequence(a.file) - sequence(b.file) || a.position - b.position;
}

export const formatPosition = (p: BinlogPosition | null): string =>
  p ? `${p.file}:${p.position}` : '(none)';

export async function masterPosition(conn: Connection): Promise<BinlogPosition> {
  const [rows] = await conn.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const row = rows[0];
  if (!row) throw new Error('SHOW MASTER STATUS is empty: the binary log is off');
  return { file: String(row.File), position: Number(row.Position) };
}

/** The replica's status, or null when it has never been configured as a replica. */
export async function slaveStatus(conn: Connection): Promise<SlaveStatus | null> {
  const [rows] = await conn.query<RowDataPacket[]>('SHOW SLAVE STATUS');
  const row = rows[0];
  if (!row) return null;
  const position = (file: unknown, pos: unknown): BinlogPosition | null =>
    typeof file === 'string' && file !== '' ? { file, position: Number(pos) } : null;
  return {
    ioRunning: String(row.Slave_IO_Running),
    sqlRunning: String(row.Slave_SQL_Running),
    executed: position(row.Relay_Master_Log_File, row.Exec_Master_Log_Pos),
    read: position(row.Master_Log_File, row.Read_Master_Log_Pos),
    secondsBehindMaster:
      row.Seconds_Behind_Master === null ? null : Number(row.Seconds_Behind_Master),
    lastIoError: String(row.Last_IO_Error ?? ''),
    lastSqlError: String(row.Last_SQL_Error ?? ''),
    usingGtid: String(row.Using_Gtid ?? ''),
  };
}

export interface CatchUpOptions {
  /** Caught up means: executed at or past this position of the master's binlog. */
  target: BinlogPosition;
  pollMs: number;
  maxWaitMs: number;
}

/**
 * Waits until both replication threads run, the executed position reached `target` and
 * Seconds_Behind_Master is 0. A thread that stopped with an error fails the wait at once.
 */
export async function waitCaughtUp(
  conn: Connection,
  options: CatchUpOptions,
): Promise<SlaveStatus> {
  const deadline = Date.now() + options.maxWaitMs;
  for (;;) {
    const status = await slaveStatus(conn);
    if (!status) throw new Error('the replica is not configured (SHOW SLAVE STATUS is empty)');
    const error = status.lastSqlError || status.lastIoError;
    if ((status.ioRunning === 'No' || status.sqlRunning === 'No') && error)
      throw new Error(`replication stopped: ${error}`);
    const reached =
      status.executed !== null && compareBinlogPositions(status.executed, options.target) >= 0;
    if (
      status.ioRunning === 'Yes' &&
      status.sqlRunning === 'Yes' &&
      reached &&
      status.secondsBehindMaster === 0
    )
      return status;
    if (Date.now() > deadline)
      throw new Error(
        `not caught up after ${options.maxWaitMs / 1000} s: executed ${formatPosition(status.executed)}, ` +
          `target ${formatPosition(options.target)}, IO ${status.ioRunning}, SQL ${status.sqlRunning}, ` +
          `behind ${status.secondsBehindMaster} s`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
