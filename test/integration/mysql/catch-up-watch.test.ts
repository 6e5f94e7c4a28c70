import { type DBInstance } from '@aws-sdk/client-rds';
import mysql, { type Connection, type Pool } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../../../src/errors';
import {
  listBinlogs,
  readSourcePosition,
  setBinlogRetention,
} from '../../../src/mysql/binlog-source';
import { watchCatchUp, type CatchUpProgress } from '../../../src/mysql/catch-up-watch';
import {
  pointReplicaAt,
  startReplica,
  stopReplica,
  type ReplicationCredentials,
} from '../../../src/mysql/replica-control';
import { describeReplicaHealth, readReplicaStatus } from '../../../src/mysql/replica-status';
import { changeSourceStatement } from '../../../src/mysql/replication-statements';
import { readServerFlavor, type ServerFlavor } from '../../../src/mysql/server-flavor';
import {
  everyRendering,
  ITEMS_TABLE,
  itemsChecksum,
  startTestStandalone,
  startWriteLoad,
  type TestStandalone,
} from '../../helpers/replication';
import {
  connectTo,
  createTestInstance,
  poolTo,
  startTestSandbox,
  type TestSandbox,
} from '../../helpers/sandbox';
import { waitFor } from '../../helpers/wait-for';

/**
 * An external server (the standalone mariadbd) pointed at a sandbox RDS instance by binlog
 * coordinates, started, and watched: catch-up under writes, a purged binlog, a broken SQL thread,
 * refused credentials; the replication password never in an error.
 */
describe('pointing a replica at an RDS source and watching it catch up', () => {
  let t: TestSandbox;
  let instance: DBInstance;
  let src: Connection;
  let srcPool: Pool;
  let standalone: TestStandalone;
  let replica: Connection;
  let flavor: ServerFlavor;
  const REPL: ReplicationCredentials = {
    user: 'repl',
    password: `Repl'pw"\\${Date.now().toString(36)}`,
  };
  const WRONG = `wrong'pw-${Date.now().toString(36)}`;
  /** The source accepts only TLS: the replica checks its certificate against the sandbox CA. */
  const channel = () => ({ tls: { mode: 'verify-identity' as const, caFile: t.sandbox.caFile } });
  const at = (coordinates: { file: string; pos: number }) => ({
    host: instance.Endpoint!.Address!,
    port: instance.Endpoint!.Port!,
    ...coordinates,
  });
  const watch = (extra: { maxWaitMs?: number; onProgress?: (p: CatchUpProgress) => void } = {}) =>
    watchCatchUp({
      replica,
      source: src,
      flavor,
      pollMs: 100,
      maxWaitMs: extra.maxWaitMs ?? 120_000,
      ...(extra.onProgress ? { onProgress: extra.onProgress } : {}),
    });
  const expectNoSecret = (error: unknown) => {
    const text = everyRendering(error);
    for (const secret of [REPL.password, WRONG, mysql.escape(REPL.password).slice(1, -1)])
      expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    t = await startTestSandbox({ binlogRotateIntervalMs: 400 });
    standalone = await startTestStandalone(9301);
    instance = await createTestInstance(t, 'source', 'app');
    src = await connectTo(t, instance, 'app');
    srcPool = poolTo(t, instance, 2);
    await src.query("CREATE USER ?@'%' IDENTIFIED BY ?", [REPL.user, REPL.password]);
    await src.query("GRANT REPLICATION SLAVE ON *.* TO ?@'%'", [REPL.user]);
    await src.query("CREATE USER 'norepl'@'%' IDENTIFIED BY 'norepl-pw'");
    replica = await standalone.connect();
    flavor = await readServerFlavor(replica);
  }, 180_000);

  afterAll(async () => {
    await replica?.end();
    await srcPool?.end();
    await src?.end();
    await standalone?.dispose();
    await t?.dispose();
  });

  it('recognises a purged binlog (1236) with the server’s text', async () => {
    // Retention is NULL: the source drops closed binlogs within a rotation or two.
    await waitFor(
      async () =>
        (await listBinlogs(src)).some((log) => log.name === 'binlog.000001') ? undefined : true,
      60_000,
      'binlog.000001 to be purged',
    );
    await pointReplicaAt(replica, flavor, at({ file: 'binlog.000001', pos: 4 }), REPL, channel());
    await startReplica(replica, flavor);
    const error = await watch().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsdeckError);
    expect(error).toMatchObject({ code: ErrorCode.ReplicationBinlogGone });
    expect((error as Error).message).toContain(
      "IO error 1236: Got fatal error 1236 from master when reading data from binary log: 'Could not find first log file name in binary log index file'",
    );
    expect((error as Error).message).toContain('/seed-slave <rds-source> <replica>');
    expect(describeReplicaHealth(await readReplicaStatus(replica, flavor)).state).toBe(
      'binlog-gone',
    );
    expectNoSecret(error);
    await stopReplica(replica, flavor);
  });

  it('catches up from given coordinates under a steady write load, with percent and ETA', async () => {
    await setBinlogRetention(src, 24);
    // The replica starts empty from here: the database exists on the source already.
    const start = await readSourcePosition(src);
    await replica.query('CREATE DATABASE app');
    await src.query(ITEMS_TABLE);
    // Some megabytes, in many transactions, for the replica to work through while watched.
    for (let batch = 0; batch < 20; batch++)
      await src.query(
        "INSERT INTO items SELECT seq + ?, 0, CONCAT('seed ', seq, REPEAT('.', 150)) FROM seq_1_to_1500",
        [batch * 1500],
      );
    const load = startWriteLoad(await connectTo(t, instance, 'app'), 100_000);
    const progress: CatchUpProgress[] = [];
    try {
      await pointReplicaAt(replica, flavor, at(start), REPL, channel());
      await startReplica(replica, flavor);
      const result = await watch({ onProgress: (p) => progress.push(p) });
      expect(result.status).toMatchObject({
        ioRunning: 'Yes',
        sqlRunning: 'Yes',
        secondsBehind: 0,
      });
    } finally {
      expect(await load.stop()).toBeGreaterThan(0);
    }
    expect(progress[0]!.percent).toBeLessThan(100);
    expect(progress[progress.length - 1]).toMatchObject({ percent: 100, etaMs: 0 });
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.every((p) => p.target === progress[0]!.target)).toBe(true);

    await watch(); // what the load wrote after the first target
    const saPool = standalone.pool();
    const [expected, actual] = await Promise.all([
      itemsChecksum(srcPool, 'app'),
      itemsChecksum(saPool, 'app'),
    ]);
    await saPool.end();
    expect(actual).toEqual(expected);
  });

  it('keeps the password out of a failed CHANGE MASTER TO, which mysql2 would quote it in', async () => {
    const status = (await readReplicaStatus(replica, flavor))!;
    const { sql, values } = changeSourceStatement(flavor, {
      ...at(status.executed),
      ...REPL,
      ...channel(),
    });
    const raw = await replica.query(sql, values).catch((e: unknown) => e);
    expect((raw as { sql: string }).sql).toContain(mysql.escape(REPL.password));

    const error = await pointReplicaAt(replica, flavor, at(status.executed), REPL, channel()).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: ErrorCode.ReplicationStatementFailed,
      message: expect.stringMatching(/running slave.*run STOP SLAVE.*first \(errno 1198/),
    });
    expectNoSecret(error);
  });

  it('fails the watch on refused credentials and a missing privilege, and resumes where it was', async () => {
    await stopReplica(replica, flavor);
    const before = (await pointReplicaAt(
      replica,
      flavor,
      at((await readReplicaStatus(replica, flavor))!.executed),
      { user: REPL.user, password: WRONG },
      channel(),
    ))!;
    await startReplica(replica, flavor);
    const denied = await watch().catch((e: unknown) => e);
    expect(denied).toMatchObject({
      code: ErrorCode.ReplicationBroken,
      message: expect.stringMatching(/IO error 1045: .*Access denied for user 'repl'/),
    });
    expectNoSecret(denied);

    await stopReplica(replica, flavor);
    await pointReplicaAt(
      replica,
      flavor,
      at(before.executed),
      { user: 'norepl', password: 'norepl-pw' },
      channel(),
    );
    await startReplica(replica, flavor);
    // MariaDB refuses the registration as a replica with "Access denied" (no word of the privilege).
    const unprivileged = await watch().catch((e: unknown) => e);
    expect(unprivileged).toMatchObject({
      code: ErrorCode.ReplicationBroken,
      message: expect.stringMatching(
        /IO error 1597: Master command COM_REGISTER_SLAVE failed: Access denied for user 'norepl'/,
      ),
    });

    // The IO thread retries the registration and clears its error at each reconnect: stop it at
    // a moment it shows the error (STOP keeps it), so that START must be what clears it.
    await waitFor(
      async () => {
        await stopReplica(replica, flavor);
        if ((await readReplicaStatus(replica, flavor))!.lastIoErrno === 1597) return true;
        await startReplica(replica, flavor);
        return false;
      },
      30_000,
      'a stopped replica that still shows the registration error',
    );
    // The coordinates recorded before the first change still hold: it resumes from there.
    await pointReplicaAt(replica, flavor, at(before.executed), REPL, channel());
    // CHANGE MASTER TO keeps the last error; START clears it as its threads start.
    expect((await readReplicaStatus(replica, flavor))!.lastIoErrno).toBe(1597);
    await startReplica(replica, flavor);
    await expect(watch()).resolves.toMatchObject({ status: { ioRunning: 'Yes' } });
  });

  it('fails the watch with the server’s text when the SQL thread stops on a missing row', async () => {
    await replica.query('DELETE FROM app.items WHERE id = 7');
    await src.query('UPDATE items SET counter = counter + 100 WHERE id = 7');
    const error = await watch().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ErrorCode.ReplicationBroken,
      retryable: false,
      message: expect.stringMatching(
        /SQL error 1032: Could not execute Update_rows_v1 event on table app\.items; Can't find record in 'items'/,
      ),
    });
    expect(await readReplicaStatus(replica, flavor)).toMatchObject({
      ioRunning: 'Yes',
      sqlRunning: 'No',
      lastSqlErrno: 1032,
    });
    await stopReplica(replica, flavor);
  });
});
