import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { ErrorCode } from '../../../src/errors';
import {
  binlogBytesBetween,
  checkReplicationUser,
  listBinlogs,
  readBinlogSettings,
  readRequireSecureTransport,
  readSourcePosition,
  setBinlogRetention,
} from '../../../src/mysql/binlog-source';
import { startTestStandalone, type TestStandalone } from '../../helpers/replication';
import {
  connectTo,
  createTestInstance,
  startTestSandbox,
  type TestSandbox,
} from '../../helpers/sandbox';
import { MYSQL } from '../../helpers/services';
import { waitFor } from '../../helpers/wait-for';

/** The RDS source side of /seed-slave, on a sandbox instance; a standalone server as not-RDS. */
describe('binlog source', () => {
  let t: TestSandbox;
  let src: Connection;
  let standalone: TestStandalone;
  let onPremise: Connection;

  beforeAll(async () => {
    t = await startTestSandbox({ binlogRotateIntervalMs: 300 });
    standalone = await startTestStandalone(9101);
    onPremise = await standalone.connect();
    src = await connectTo(t, await createTestInstance(t, 'source', 'app'), 'app');
  }, 180_000);

  afterAll(async () => {
    await src?.end();
    await onPremise?.end();
    await standalone?.dispose();
    await t?.dispose();
  });

  it('reads the binlog settings of an RDS instance (retention NULL: binlogs go) and raises its retention', async () => {
    expect(await readBinlogSettings(src)).toEqual({
      logBin: true,
      format: 'ROW',
      serverId: expect.any(Number),
      retentionHours: null,
      retentionKnown: true,
    });
    // RDS's default: closed binlogs go as soon as they are archived.
    await waitFor(
      async () =>
        (await listBinlogs(src)).some((log) => log.name === 'binlog.000001') ? undefined : true,
      60_000,
      'binlog.000001 to be purged',
    );
    await setBinlogRetention(src, 168);
    expect(await readBinlogSettings(src)).toMatchObject({
      retentionHours: 168,
      retentionKnown: true,
    });
    for (const hours of [0, 169, 1.5, Number.NaN]) {
      await expect(setBinlogRetention(src, hours)).rejects.toMatchObject({
        code: ErrorCode.InputInvalid,
      });
    }
    expect((await readBinlogSettings(src)).retentionHours).toBe(168);
  });

  it('reads the position and counts binlog bytes across rotations, not from a purged file', async () => {
    await src.query('CREATE TABLE blobs (id INT PRIMARY KEY, body VARCHAR(2000) NOT NULL)');
    const from = await readSourcePosition(src);
    for (let i = 0; i < 8; i++) {
      await src.query('INSERT INTO blobs SELECT seq + ?, REPEAT(?, 1000) FROM seq_1_to_50', [
        i * 50,
        String.fromCharCode(97 + i),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100)); // let rotations fall in between
    }
    const to = await waitFor(
      async () => {
        const position = await readSourcePosition(src);
        return position.file !== from.file ? position : undefined;
      },
      60_000,
      'a rotation since the first position',
    );
    const bytes = await binlogBytesBetween(src, from, to);
    // 400 rows of 1000 bytes as row events, plus headers; fewer than twice that.
    expect(bytes).toBeGreaterThan(400 * 1000);
    expect(bytes).toBeLessThan(2 * 400 * 1000);
    expect(await binlogBytesBetween(src, to, from)).toBe(0);

    // binlog.000001 was purged while retention was NULL: no counting from it.
    expect(await binlogBytesBetween(src, { file: 'binlog.000001', pos: 4 }, to)).toBeNull();
    expect(await readSourcePosition(onPremise)).toMatchObject({ file: expect.any(String) });
  });

  it('knows a server outside RDS: retention unknown, and not settable by RDS procedure', async () => {
    expect(await readBinlogSettings(onPremise)).toEqual({
      logBin: true,
      format: 'ROW',
      serverId: 9101,
      retentionHours: null,
      retentionKnown: false,
    });
    await expect(setBinlogRetention(onPremise, 24)).rejects.toMatchObject({
      code: ErrorCode.InputInvalid,
      message: expect.stringMatching(/not RDS/),
    });
  });

  it('reads whether a source refuses plain connections (the sandbox, as current RDS, does)', async () => {
    expect(await readRequireSecureTransport(src)).toBe(true);
    const local = await mysql.createConnection(MYSQL);
    try {
      expect(await readRequireSecureTransport(local)).toBe(false);
    } finally {
      await local.end();
    }
  });

  it('checks the replication user: missing, without REPLICATION SLAVE, with it', async () => {
    expect(await checkReplicationUser(src, 'repl')).toEqual({
      exists: false,
      hosts: [],
      replicationSlave: false,
      plugins: [],
    });
    await src.query(
      "CREATE USER 'repl'@'%' IDENTIFIED BY 'pw-1', 'repl'@'10.0.%' IDENTIFIED BY 'pw-1'",
    );
    await src.query("GRANT SELECT ON app.* TO 'repl'@'%'");
    expect(await checkReplicationUser(src, 'repl')).toEqual({
      exists: true,
      hosts: ['%', '10.0.%'],
      replicationSlave: false,
      // MariaDB's mysql.user view shows the plugin of each account.
      plugins: ['mysql_native_password'],
    });
    // Granted to one of its hosts only: the replica's address may match the other one.
    await src.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'");
    expect((await checkReplicationUser(src, 'repl')).replicationSlave).toBe(false);
    await src.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.%'");
    expect(await checkReplicationUser(src, 'repl')).toEqual({
      exists: true,
      hosts: ['%', '10.0.%'],
      replicationSlave: true,
      plugins: ['mysql_native_password'],
    });
    // The name is a value: a quote in it is looked up, not executed.
    expect((await checkReplicationUser(src, "repl' OR '1'='1")).exists).toBe(false);
    const [rows] = await src.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'repl'",
    );
    expect(rows[0]!.n).toBe(2);
  });
});
