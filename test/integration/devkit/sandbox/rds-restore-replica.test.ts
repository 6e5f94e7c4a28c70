import {
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type mysql from 'mysql2/promise';
import {
  connectTo,
  createTestInstance,
  describeTestInstance,
  waitTestInstanceAvailable,
  startTestSandbox,
  testClientsGroup,
  type TestSandbox,
} from '../../../helpers/sandbox';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 20);

async function rows(conn: mysql.Connection): Promise<unknown[]> {
  const [result] = await conn.query('SELECT id, status FROM billing.invoices ORDER BY id');
  return result as unknown[];
}

describe('sandbox RDS point-in-time restore, binlog retention and read replicas', () => {
  let t: TestSandbox;
  let source: DBInstance;
  let conn: mysql.Connection;

  const describeInstance = (id: string) => describeTestInstance(t, id);
  const waitAvailable = (id: string) => waitTestInstanceAvailable(t, id);

  beforeAll(async () => {
    // Rotation every 300 ms: binlogs are archived and purged (retention NULL) all the time, so the
    // restore below must come from the archive, not from the server's own binlog files.
    t = await startTestSandbox({ binlogRotateIntervalMs: 300 });
    source = await createTestInstance(t, 'source', 'billing');
    conn = await connectTo(t, source, 'billing');
    await conn.query('CREATE TABLE invoices (id INT PRIMARY KEY, status VARCHAR(20) NOT NULL)');
    await conn.query("INSERT INTO invoices VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  });

  afterAll(async () => {
    await conn.end();
    await t.dispose();
  });

  it('has the RDS procedures with RDS defaults, and purges binlogs when retention is NULL', async () => {
    const [[config]] = (await conn.query('CALL mysql.rds_show_configuration')) as unknown as [
      Array<{ name: string; value: string | null }>[],
    ];
    expect(config!.find((row) => row.name === 'binlog retention hours')).toMatchObject({
      value: null,
    });
    await expect(
      conn.query("CALL mysql.rds_set_configuration('binlog retention hours', 500)"),
    ).rejects.toThrow(/between 1 and 168/);
    // Purged up to the active file, except what InnoDB has not checkpointed yet (at most 2 more).
    // A rotation opens a new file a moment before its purge runs, so look until a look falls
    // between rotations (timers lag on a loaded machine).
    let names: string[] = [];
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      const [logs] = (await conn.query('SHOW BINARY LOGS')) as unknown as [{ Log_name: string }[]];
      names = logs.map((log) => log.Log_name);
      if (i >= 9 && names.length <= 3) break;
    }
    expect(names).not.toContain('binlog.000001');
    expect(names.length).toBeLessThanOrEqual(3);
  });

  it('restores the data exactly as of the end of RestoreTime’s second', async () => {
    await nextSecond();
    await conn.query("INSERT INTO invoices VALUES (4, 'd')");
    await conn.query("UPDATE invoices SET status = 'a2' WHERE id = 1");
    await conn.query('DELETE FROM invoices WHERE id = 2');
    const restoreTime = new Date();
    await nextSecond();
    await conn.query("INSERT INTO invoices VALUES (5, 'e')");
    await conn.query("UPDATE invoices SET status = 'c2' WHERE id = 3");
    await conn.query('DELETE FROM invoices WHERE id = 4');
    await sleep(1500); // LatestRestorableTime lags 1 s in tests

    const { DBInstanceAutomatedBackups } = await t.clients.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'source' }),
    );
    const window = DBInstanceAutomatedBackups![0]!.RestoreWindow!;
    expect(window.EarliestTime!.getTime()).toBeLessThanOrEqual(restoreTime.getTime());
    expect(window.LatestTime!.getTime()).toBeGreaterThanOrEqual(restoreTime.getTime());

    const restored = await t.clients.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'source',
        TargetDBInstanceIdentifier: 'source-restored',
        RestoreTime: restoreTime,
        VpcSecurityGroupIds: [await testClientsGroup(t)],
      }),
    );
    expect(restored.DBInstance?.DBInstanceStatus).toBe('creating');
    await waitAvailable('source-restored');
    const restoredInstance = await describeInstance('source-restored');
    // As on RDS: the source's port (an address of its own), the groups asked for.
    expect(restoredInstance.Endpoint!.Port).toBe(source.Endpoint!.Port);
    expect(restoredInstance.Endpoint!.Address).not.toBe(source.Endpoint!.Address);
    expect(restoredInstance.VpcSecurityGroups![0]!.VpcSecurityGroupId).toBe(
      await testClientsGroup(t),
    );
    const copy = await connectTo(t, restoredInstance);
    expect(await rows(copy)).toEqual([
      { id: 1, status: 'a2' },
      { id: 3, status: 'c' },
      { id: 4, status: 'd' },
    ]);
    await copy.end();
    expect(await rows(conn)).toEqual([
      { id: 1, status: 'a2' },
      { id: 3, status: 'c2' },
      { id: 5, status: 'e' },
    ]);
  });

  it('refuses restore times outside the window and bad combinations', async () => {
    const restore = (
      input: Partial<ConstructorParameters<typeof RestoreDBInstanceToPointInTimeCommand>[0]>,
    ) =>
      t.clients.rds.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: 'source',
          TargetDBInstanceIdentifier: 'never',
          ...input,
        }),
      );
    await expect(restore({ RestoreTime: new Date('2020-01-01T00:00:00Z') })).rejects.toMatchObject({
      name: 'InvalidRestoreFault',
    });
    await expect(restore({ RestoreTime: new Date(Date.now() + 60_000) })).rejects.toMatchObject({
      name: 'InvalidRestoreFault',
    });
    await expect(
      restore({ RestoreTime: new Date(), UseLatestRestorableTime: true }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(
      restore({ SourceDBInstanceIdentifier: 'ghost', UseLatestRestorableTime: true }),
    ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    await expect(
      restore({ TargetDBInstanceIdentifier: 'source-restored', UseLatestRestorableTime: true }),
    ).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
  });

  it('keeps binlogs once retention is set, and builds a replica that keeps replicating', async () => {
    await conn.query("CALL mysql.rds_set_configuration('binlog retention hours', 24)");
    // Rotations go on every 300 ms and are no longer purged: more than 3 logs soon (a loaded
    // machine's timers may lag, so wait for it rather than for a fixed time).
    let logCount = 0;
    for (let i = 0; i < 150 && logCount <= 3; i++) {
      await sleep(100);
      const [logs] = await conn.query('SHOW BINARY LOGS');
      logCount = (logs as unknown[]).length;
    }
    expect(logCount).toBeGreaterThan(3);

    await t.clients.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'replica',
        SourceDBInstanceIdentifier: 'source',
        VpcSecurityGroupIds: [await testClientsGroup(t)],
      }),
    );
    await conn.query("INSERT INTO invoices VALUES (6, 'during-creation')");
    await waitAvailable('replica');
    const replicaInstance = await describeInstance('replica');
    expect(replicaInstance.ReadReplicaSourceDBInstanceIdentifier).toBe('source');
    expect((await describeInstance('source')).ReadReplicaDBInstanceIdentifiers).toEqual([
      'replica',
    ]);

    const replica = await connectTo(t, replicaInstance);
    const caughtUp = async (expected: number) => {
      // up to 30 s: replication is quick, but a loaded 2-core machine can stall it for seconds
      for (let i = 0; i < 300; i++) {
        const [[count]] = (await replica.query(
          'SELECT COUNT(*) AS n FROM billing.invoices',
        )) as unknown as [{ n: number }[]];
        if (count!.n === expected) return;
        await sleep(100);
      }
      throw new Error(`replica did not reach ${expected} rows`);
    };
    await caughtUp(4);
    await conn.query("INSERT INTO invoices VALUES (7, 'replicated')");
    await caughtUp(5);

    await replica.query('CALL mysql.rds_stop_replication');
    const [[stopped]] = (await replica.query('SHOW SLAVE STATUS')) as unknown as [
      Record<string, unknown>[],
    ];
    expect(stopped).toMatchObject({ Slave_IO_Running: 'No', Slave_SQL_Running: 'No' });
    expect(stopped!.Relay_Master_Log_File).toMatch(/^binlog\.\d+$/);
    await conn.query("INSERT INTO invoices VALUES (8, 'while-stopped')");
    await sleep(700); // rotations happen meanwhile; retention 24 h keeps what the replica needs
    await caughtUp(5);
    await replica.query('CALL mysql.rds_start_replication');
    await caughtUp(6);
    const [[running]] = (await replica.query('SHOW SLAVE STATUS')) as unknown as [
      Record<string, unknown>[],
    ];
    expect(running).toMatchObject({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' });
    await replica.end();
  });
});
