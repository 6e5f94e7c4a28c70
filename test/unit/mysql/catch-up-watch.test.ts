import { ErrorCode } from '../../../src/errors';
import {
  catchUpEstimate,
  watchCatchUp,
  type CatchUpProgress,
} from '../../../src/mysql/catch-up-watch';
import type { Queryable } from '../../../src/mysql/queryable';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';
import { MARIADB_10_11_SLAVE_STATUS } from '../../fixtures/mysql/replica-status-rows';

const FLAVOR = parseServerFlavor('10.11.19-MariaDB');

/** A source at binlog.000003:500 with three files; it answers the watch's statements. */
function fakeSource(): Queryable {
  const query = jest.fn(async (sql: string) => {
    if (sql.startsWith('SELECT VERSION()')) return [[{ version: '8.0.36', comment: '' }], []];
    if (sql === 'SHOW MASTER STATUS') return [[{ File: 'binlog.000003', Position: 500 }], []];
    if (sql === 'SHOW BINARY LOGS')
      return [
        [
          { Log_name: 'binlog.000001', File_size: 1000 },
          { Log_name: 'binlog.000002', File_size: 1000 },
          { Log_name: 'binlog.000003', File_size: 500 },
        ],
        [],
      ];
    throw new Error(`unexpected ${sql}`);
  });
  return { query } as unknown as Queryable;
}

type Row = Record<string, unknown>;
const running = (file: string, pos: number, lag: number | null, extra: Row = {}): Row => ({
  ...MARIADB_10_11_SLAVE_STATUS,
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Last_SQL_Errno: 0,
  Last_SQL_Error: '',
  Master_Log_File: 'binlog.000003',
  Read_Master_Log_Pos: 500,
  Relay_Master_Log_File: file,
  Exec_Master_Log_Pos: pos,
  Seconds_Behind_Master: lag,
  ...extra,
});

/** A replica that answers SHOW SLAVE STATUS with the rows in turn, the last one forever. */
function fakeReplica(rows: Row[]): Queryable {
  let i = 0;
  const query = jest.fn(async () => [[rows[Math.min(i++, rows.length - 1)]].filter(Boolean), []]);
  return { query } as unknown as Queryable;
}

const watch = (rows: Row[], extra: { maxWaitMs?: number; signal?: AbortSignal } = {}) => {
  const progress: CatchUpProgress[] = [];
  const result = watchCatchUp({
    replica: fakeReplica(rows),
    source: fakeSource(),
    flavor: FLAVOR,
    pollMs: 1,
    maxWaitMs: extra.maxWaitMs ?? 10_000,
    ...(extra.signal ? { signal: extra.signal } : {}),
    onProgress: (p) => progress.push(p),
  });
  return { result, progress };
};

describe('catch-up watch', () => {
  it('waits for the target, both threads and no lag; reports percent of the bytes', async () => {
    const { result, progress } = watch([
      running('binlog.000001', 500, 120), // 500 + 1000 + 500 = 2000 bytes to go
      running('binlog.000002', 500, 60), // 1000 to go
      running('binlog.000003', 500, 2), // there, but lagging
      running('binlog.000003', 500, 0),
    ]);
    await expect(result).resolves.toMatchObject({
      target: { file: 'binlog.000003', pos: 500 },
      status: { secondsBehind: 0 },
    });
    expect(progress.map((p) => p.percent)).toEqual([0, 50, 100, 100]);
    expect(progress.map((p) => p.bytes)).toEqual([
      { applied: 0, total: 2000 },
      { applied: 1000, total: 2000 },
      { applied: 2000, total: 2000 },
      { applied: 2000, total: 2000 },
    ]);
    expect(progress[0]).toMatchObject({
      etaMs: null,
      executed: { file: 'binlog.000001', pos: 500 },
      target: { file: 'binlog.000003', pos: 500 },
      io: 'Yes',
      sql: 'Yes',
      secondsBehind: 120,
    });
    expect(progress[3]!.etaMs).toBe(0);
  });

  it('fails at once on a purged binlog, with the server’s text and the advice', async () => {
    const { result } = watch([
      running('binlog.000001', 500, 10),
      running('binlog.000001', 500, null, {
        Slave_IO_Running: 'No',
        Last_IO_Errno: 1236,
        Last_IO_Error:
          "Got fatal error 1236 from master when reading data from binary log: 'Could not find first log file name in binary log index file'",
      }),
    ]);
    await expect(result).rejects.toMatchObject({
      code: ErrorCode.ReplicationBinlogGone,
      message: expect.stringMatching(
        /Could not find first log file name in binary log index file.*\/seed-slave/,
      ),
    });
  });

  it('fails at once when the SQL thread stops on an error', async () => {
    const { result } = watch([{ ...MARIADB_10_11_SLAVE_STATUS }]);
    await expect(result).rejects.toMatchObject({
      code: ErrorCode.ReplicationBroken,
      retryable: false,
      message: expect.stringMatching(/SQL error 1032: Could not execute Update_rows_v1 event/),
    });
  });

  it('fails when the replica cannot connect, retryable when it is the network', async () => {
    const refused = watch([
      running('binlog.000001', 500, null, {
        Slave_IO_Running: 'Connecting',
        Last_IO_Errno: 2003,
        Last_IO_Error: "error connecting to master 'repl@src:3306' - retry-time: 60",
      }),
    ]);
    await expect(refused.result).rejects.toMatchObject({
      code: ErrorCode.ReplicationBroken,
      retryable: true,
    });
    const denied = watch([
      running('binlog.000001', 500, null, {
        Slave_IO_Running: 'Connecting',
        Last_IO_Errno: 1045,
        Last_IO_Error: "Access denied for user 'repl'@'10.0.0.1' (using password: YES)",
      }),
    ]);
    await expect(denied.result).rejects.toMatchObject({ retryable: false });
  });

  it('fails when replication is stopped, or the server is no replica', async () => {
    await expect(
      watch([running('binlog.000001', 500, null, { Slave_IO_Running: 'No' })]).result,
    ).rejects.toMatchObject({ code: ErrorCode.ReplicationBroken });
    await expect(watch([]).result).rejects.toMatchObject({ code: ErrorCode.MysqlNotAReplica });
  });

  it('gives up at maxWaitMs with the last status', async () => {
    const { result } = watch([running('binlog.000002', 10, 30)], { maxWaitMs: 30 });
    await expect(result).rejects.toMatchObject({
      code: ErrorCode.ReplicationWaitTimeout,
      message: expect.stringMatching(
        /binlog\.000003:500 within 30 ms: IO Yes, SQL Yes, 30 s behind/,
      ),
    });
  });

  it('stops when its signal aborts', async () => {
    const abort = new AbortController();
    const { result } = watch([running('binlog.000002', 10, 30)], { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('job cancelled')), 20);
    await expect(result).rejects.toThrow('job cancelled');
  });

  it('estimates the time left from the rate so far', () => {
    expect(catchUpEstimate(1000, 1000, 5000)).toEqual({ percent: 0, etaMs: null });
    expect(catchUpEstimate(1000, 750, 5000)).toEqual({ percent: 25, etaMs: 15000 });
    expect(catchUpEstimate(1000, 0, 5000)).toEqual({ percent: 100, etaMs: 0 });
    expect(catchUpEstimate(0, 0, 0)).toEqual({ percent: 100, etaMs: 0 });
    // the replica may fall further behind than where it started
    expect(catchUpEstimate(1000, 1200, 5000)).toEqual({ percent: 0, etaMs: null });
  });
});
