import {
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import mysql, { type Connection, type Pool } from 'mysql2/promise';
import { watchCatchUp } from '../../../../src/mysql/catch-up-watch';
import { pointReplicaAt, startReplica } from '../../../../src/mysql/replica-control';
import { describeReplicaHealth, readReplicaStatus } from '../../../../src/mysql/replica-status';
import { readServerFlavor, type ServerFlavor } from '../../../../src/mysql/server-flavor';
import {
  cloneItems,
  ITEMS_TABLE,
  itemsChecksum,
  startTestStandalone,
  startWriteLoad,
  type TestStandalone,
} from '../../../helpers/replication';
import {
  connectTo,
  createTestInstance,
  describeTestInstance,
  poolTo,
  waitTestInstanceAvailable,
  startTestSandbox,
  testClientsGroup,
  type TestSandbox,
} from '../../../helpers/sandbox';
import { waitFor } from '../../../helpers/wait-for';

/**
 * What /seed-slave relies on from an RDS read replica, checked on the sandbox's: stopped with
 * mysql.rds_stop_replication, its SHOW SLAVE STATUS gives the source coordinates its data is
 * consistent with; a replica stopped while the source purges binlogs (retention NULL) cannot
 * resume (1236); with retention raised it can.
 */
describe('sandbox read replicas as the seed of an external replica', () => {
  let t: TestSandbox;
  let source: DBInstance;
  let conn: Connection;
  let sourcePool: Pool;
  let standalone: TestStandalone;
  const SEEDER = { user: 'seeder', password: "seed'er-pw-1" };

  const describeInstance = (id: string) => describeTestInstance(t, id);
  const waitAvailable = (id: string) => waitTestInstanceAvailable(t, id);
  const binlogNames = async () => {
    const [logs] = await conn.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
    return logs.map((log) => String(log.Log_name));
  };
  const createReplica = async (id: string): Promise<Connection> => {
    await t.clients.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: id,
        SourceDBInstanceIdentifier: 'source',
        VpcSecurityGroupIds: [await testClientsGroup(t)],
      }),
    );
    await waitAvailable(id);
    return connectTo(t, await describeInstance(id));
  };

  beforeAll(async () => {
    // Rotation every 300 ms: with retention NULL the source purges closed binlogs all the time.
    t = await startTestSandbox({ binlogRotateIntervalMs: 300 });
    standalone = await startTestStandalone(9201);
    source = await createTestInstance(t, 'source', 'app');
    conn = await connectTo(t, source, 'app');
    sourcePool = poolTo(t, source, 2);
    await conn.query(ITEMS_TABLE);
    await conn.query("INSERT INTO items SELECT seq, 0, CONCAT('seed ', seq) FROM seq_1_to_2000");
    // As an operator would: the sandbox's own rdsrepladmin is not for outsiders.
    await conn.query("CREATE USER ?@'%' IDENTIFIED BY ?", [SEEDER.user, SEEDER.password]);
    await conn.query("GRANT REPLICATION SLAVE ON *.* TO ?@'%'", [SEEDER.user]);
  }, 180_000);

  afterAll(async () => {
    await sourcePool?.end();
    await conn?.end();
    await standalone?.dispose();
    await t?.dispose();
  });

  it('a replica stopped while the source purges its binlog (retention NULL) fails with 1236 on restart', async () => {
    const replica = await createReplica('replica-a');
    const flavor = await readServerFlavor(replica);
    await conn.query("INSERT INTO items VALUES (100001, 0, 'before the stop')");
    await waitFor(
      async () => {
        const [[row]] = await replica.query<mysql.RowDataPacket[]>(
          'SELECT COUNT(*) AS n FROM app.items WHERE id = 100001',
        );
        return row!.n === 1 ? true : undefined;
      },
      60_000,
      'replica-a to replicate',
    );

    await replica.query('CALL mysql.rds_stop_replication');
    const stopped = (await readReplicaStatus(replica, flavor))!;
    expect(stopped).toMatchObject({ ioRunning: 'No', sqlRunning: 'No' });
    // No write needed: by file and position, the file itself must still be on the source.
    await waitFor(
      async () => ((await binlogNames()).includes(stopped.read.file) ? undefined : true),
      60_000,
      `the source to purge ${stopped.read.file}`,
    );

    await replica.query('CALL mysql.rds_start_replication');
    const failed = await waitFor(
      async () => {
        const status = (await readReplicaStatus(replica, flavor))!;
        return status.lastIoErrno !== 0 ? status : undefined;
      },
      60_000,
      'replica-a to report an IO error',
    );
    expect(failed).toMatchObject({
      ioRunning: 'No',
      lastIoErrno: 1236,
      lastIoError:
        "Got fatal error 1236 from master when reading data from binary log: 'Could not find first log file name in binary log index file'",
    });
    expect(describeReplicaHealth(failed).state).toBe('binlog-gone');
    await replica.end();
    await t.clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'replica-a' }));
  });

  it('with retention raised, a replica stopped under writes gives the exact coordinates of its data, and resumes', async () => {
    await conn.query("CALL mysql.rds_set_configuration('binlog retention hours', 24)");
    const load = startWriteLoad(await connectTo(t, source, 'app'), 200_000);
    let replica: Connection | undefined;
    let sa: Connection | undefined;
    try {
      replica = await createReplica('replica-b');
      const flavor: ServerFlavor = await readServerFlavor(replica);
      await waitFor(
        async () => {
          const [[row]] = await replica!.query<mysql.RowDataPacket[]>(
            'SELECT COUNT(*) AS n FROM app.items WHERE id >= 200000',
          );
          return row!.n > 50 ? true : undefined;
        },
        60_000,
        'replica-b to apply some of the load',
      );

      // 3. Stop the temporary replica while the source is being written to.
      await replica.query('CALL mysql.rds_stop_replication');
      const stopped = (await readReplicaStatus(replica, flavor))!;
      expect(stopped).toMatchObject({ ioRunning: 'No', sqlRunning: 'No' });
      expect(stopped.executed.file).toMatch(/^binlog\.\d{6}$/);

      // 5-7. Copy its data into the external server, point that at the source from there.
      sa = await standalone.connect();
      await cloneItems(replica, sa, 'app');
      const saFlavor = await readServerFlavor(sa);
      await pointReplicaAt(
        sa,
        saFlavor,
        {
          host: source.Endpoint!.Address!,
          port: source.Endpoint!.Port!,
          ...stopped.executed,
        },
        SEEDER,
        // The source accepts only TLS; its certificate is checked against the sandbox CA.
        { tls: { mode: 'verify-identity', caFile: t.sandbox.caFile } },
      );
      await startReplica(sa, saFlavor);
      await watchCatchUp({
        replica: sa,
        source: conn,
        flavor: saFlavor,
        pollMs: 200,
        maxWaitMs: 120_000,
      });
    } finally {
      expect(await load.stop()).toBeGreaterThan(0);
    }
    // Everything written is applied: same rows, same content as the source.
    await watchCatchUp({
      replica: sa,
      source: conn,
      flavor: await readServerFlavor(sa),
      pollMs: 100,
      maxWaitMs: 60_000,
    });
    const saPool = standalone.pool();
    const [expected, actual] = await Promise.all([
      itemsChecksum(sourcePool, 'app'),
      itemsChecksum(saPool, 'app'),
    ]);
    expect(actual).toEqual(expected);
    expect(expected.rows).toBeGreaterThan(2050);

    // The source rotates on, and keeps every file since: the stopped replica resumes.
    const sequence = (file: string) => Number(/(?<!\d)\d+$/.exec(file)![0]);
    const stoppedAt = (await readReplicaStatus(replica))!.read.file;
    await waitFor(
      async () => {
        const names = await binlogNames();
        return sequence(names[names.length - 1]!) >= sequence(stoppedAt) + 3 ? names : undefined;
      },
      60_000,
      'three more rotations of the source',
    );
    expect(await binlogNames()).toContain(stoppedAt);
    const replicaFlavor = await readServerFlavor(replica);
    await replica.query('CALL mysql.rds_start_replication');
    await watchCatchUp({
      replica,
      source: conn,
      flavor: replicaFlavor,
      pollMs: 100,
      maxWaitMs: 60_000,
    });
    await saPool.end();
    await sa.end();
    await replica.end();
  });
});
