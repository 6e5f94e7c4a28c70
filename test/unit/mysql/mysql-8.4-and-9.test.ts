import { setBinlogRetention } from '../../../src/mysql/binlog-source';
import {
  binlogBytesBetween,
  checkReplicationUser,
  listBinlogs,
  readBinlogSettings,
  readRequireSecureTransport,
  readSourcePosition,
} from '../../../src/mysql/binlog-source';
import { watchCatchUp } from '../../../src/mysql/catch-up-watch';
import type { Queryable } from '../../../src/mysql/queryable';
import { pointReplicaAt, startReplica, stopReplica } from '../../../src/mysql/replica-control';
import {
  describeChannelTls,
  describeReplicaHealth,
  normaliseReplicaStatus,
  readReplicaStatus,
} from '../../../src/mysql/replica-status';
import {
  readReplicationFilters,
  setWildIgnoreTables,
} from '../../../src/mysql/replication-filters';
import {
  changeSourceStatement,
  replicaStatusStatement,
  sourceStatusStatement,
  startReplicaStatement,
  stopReplicaStatement,
  type ReplicationChannelTls,
} from '../../../src/mysql/replication-statements';
import { disabledOnReplica } from '../../../src/mysql/schema-objects';
import { parseServerFlavor, readServerFlavor } from '../../../src/mysql/server-flavor';
import {
  MYSQL_8_4,
  MYSQL_8_4_TLS_REPLICA_STATUS,
  MYSQL_9,
  type DocumentedServer,
} from '../../fixtures/mysql/documented-output';

/**
 * MySQL 8.4 removed the master/slave statements (SHOW SLAVE STATUS, CHANGE MASTER TO, START /
 * STOP / RESET SLAVE, SHOW MASTER STATUS, SHOW MASTER LOGS, RESET MASTER), the MASTER_* options,
 * GET_MASTER_PUBLIC_KEY and DISABLE ON SLAVE; 9.x did not bring them back. No such server runs
 * here: every statement opsdeck's replication code can send is generated for 8.4 and 9.x (each
 * variant of the options), and every reader is run against a server faked with the manuals'
 * documented output (test/fixtures/mysql/documented-output.ts), recording what it was sent.
 */

/** Any word of the removed forms: SLAVE or MASTER on their own, or a MASTER_ option. */
const REMOVED = /\b(?:SLAVE|MASTER)\b|\bMASTER_[A-Z_]+|\bGET_MASTER_PUBLIC_KEY\b/i;

const CHANNELS: ReplicationChannelTls[] = [
  { mode: 'verify-identity', caFile: '/etc/mysql/rds-global-bundle.pem' },
  { mode: 'required', caFile: '/etc/mysql/rds-global-bundle.pem' },
  { mode: 'required' },
  { mode: 'disabled' },
];
const PLUGINS = [undefined, 'caching_sha2_password', 'mysql_native_password', 'sha256_password'];

const CREATE_EVENT =
  "CREATE DEFINER=`admin`@`%` EVENT `purge_sessions` ON SCHEDULE EVERY 1 HOUR STARTS '2026-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM sessions WHERE expires_at < NOW()";

/** A server answering with the documented output, keeping every statement it was sent. */
function documentedServer(server: DocumentedServer) {
  const sent: string[] = [];
  const query = jest.fn(async (sql: string) => {
    sent.push(sql);
    const rows = (result: unknown) => [result, []];
    if (/^SELECT VERSION\(\)/.test(sql))
      return rows([{ version: server.version, comment: 'Source distribution' }]);
    if (sql === 'SHOW REPLICA STATUS') return rows([server.replicaStatus]);
    if (sql === 'SHOW BINARY LOG STATUS') return rows([server.binaryLogStatus]);
    if (sql === 'SHOW BINARY LOGS') return rows(server.binaryLogs);
    if (sql.includes('@@GLOBAL.log_bin')) return rows([{ logBin: 1, format: 'ROW', serverId: 1 }]);
    if (sql === 'CALL mysql.rds_show_configuration')
      return rows([[{ name: 'binlog retention hours', value: '24' }], { affectedRows: 0 }]);
    if (sql.includes('FROM mysql.user'))
      return rows([{ host: '%', replSlave: 'Y', plugin: 'caching_sha2_password' }]);
    if (sql.includes('require_secure_transport')) return rows([{ required: 1 }]);
    if (sql.includes('replication_applier_global_filters')) return rows([]);
    if (
      /^(CHANGE REPLICATION SOURCE TO|CHANGE REPLICATION FILTER|START REPLICA|STOP REPLICA|CALL mysql\.rds_set_configuration)\b/.test(
        sql,
      )
    )
      return rows({ affectedRows: 0 });
    throw new Error(`the documented server was sent something unexpected: ${sql}`);
  });
  return { db: { query } as unknown as Queryable, sent };
}

describe.each([
  ['MySQL 8.4', MYSQL_8_4],
  ['MySQL 9.x', MYSQL_9],
])('%s (documented output only: no such server runs here)', (_, server) => {
  const flavor = parseServerFlavor(server.version);

  it('every statement generated for it avoids the forms 8.4 removed', () => {
    const generated = [
      replicaStatusStatement(flavor),
      startReplicaStatement(flavor),
      stopReplicaStatement(flavor),
      sourceStatusStatement(flavor),
      disabledOnReplica(CREATE_EVENT, flavor, 'app.purge_sessions'),
    ];
    for (const tls of CHANNELS)
      for (const authPlugin of PLUGINS)
        generated.push(
          changeSourceStatement(flavor, {
            host: 'prod.abc123.eu-west-1.rds.amazonaws.com',
            port: 3306,
            user: 'repl',
            password: 'secret',
            file: 'mysql-bin-changelog.000042',
            pos: 4,
            tls,
            ...(authPlugin !== undefined && { authPlugin }),
          }).sql,
        );
    expect(generated.filter((sql) => REMOVED.test(sql))).toEqual([]);
    expect(generated).toContain('SHOW REPLICA STATUS');
    expect(generated).toContain('SHOW BINARY LOG STATUS');
    expect(generated.join('\n')).toContain('DISABLE ON REPLICA');
  });

  it('every statement the readers and the replica control send avoids them too', async () => {
    const { db, sent } = documentedServer(server);
    const read = await readServerFlavor(db);
    expect(read).toMatchObject({ product: 'mysql', version: flavor.version });
    await readReplicaStatus(db);
    await readReplicaStatus(db, read);
    await stopReplica(db, read);
    await startReplica(db, read);
    for (const tls of CHANNELS)
      await pointReplicaAt(
        db,
        read,
        { host: 'prod.example', port: 3306, file: 'binlog.000015', pos: 4 },
        { user: 'repl', password: 'secret' },
        { tls, authPlugin: 'caching_sha2_password' },
      );
    await readSourcePosition(db);
    await listBinlogs(db);
    await binlogBytesBetween(
      db,
      { file: 'binlog.000015', pos: 4 },
      { file: 'binlog.000016', pos: 4 },
    );
    await readBinlogSettings(db);
    await setBinlogRetention(db, 168);
    await checkReplicationUser(db, 'repl');
    await readRequireSecureTransport(db);
    await readReplicationFilters(db, read);
    await setWildIgnoreTables(db, read, ['mysql.rds\\_%']);
    // The documented replica is at master-bin.000001:927, the source at source-bin.000002:1307:
    // the watch polls until its time is up, sending its statements each round.
    await expect(
      watchCatchUp({ replica: db, source: db, flavor: read, pollMs: 1, maxWaitMs: 20 }),
    ).rejects.toThrow();
    expect(sent.filter((sql) => REMOVED.test(sql))).toEqual([]);
    for (const statement of [
      'SHOW REPLICA STATUS',
      'STOP REPLICA',
      'START REPLICA',
      'SHOW BINARY LOG STATUS',
      'SHOW BINARY LOGS',
    ])
      expect(sent).toContain(statement);
    expect(sent.some((sql) => sql.startsWith('CHANGE REPLICATION SOURCE TO SOURCE_HOST'))).toBe(
      true,
    );
    expect(sent.some((sql) => sql.startsWith('CHANGE REPLICATION FILTER'))).toBe(true);
  });

  it('reads its SHOW REPLICA STATUS by the Replica_* / Source_* names', async () => {
    const status = await readReplicaStatus(documentedServer(server).db, flavor);
    expect(status).toEqual({
      sourceHost: '127.0.0.1',
      sourcePort: 13000,
      sourceUser: 'root',
      ioRunning: 'Yes',
      sqlRunning: 'Yes',
      read: { file: 'master-bin.000001', pos: 927 },
      executed: { file: 'master-bin.000001', pos: 927 },
      secondsBehind: 0,
      lastIoErrno: 0,
      lastIoError: '',
      lastSqlErrno: 0,
      lastSqlError: '',
      lastIoErrorAt: null,
      lastSqlErrorAt: null,
      channelTls: {
        allowed: 'No',
        caFile: '',
        verifyServerCert: false,
        allowedColumn: 'Source_SSL_Allowed',
      },
    });
    expect(describeReplicaHealth(status).state).toBe('running');
    expect(describeChannelTls(status!.channelTls)).toEqual({
      encrypted: false,
      text: expect.stringContaining('replication channel NOT encrypted') as string,
    });
  });

  it('reads its SHOW BINARY LOG STATUS and SHOW BINARY LOGS (with the Encrypted column)', async () => {
    const { db } = documentedServer(server);
    expect(await readSourcePosition(db, flavor)).toEqual({ file: 'source-bin.000002', pos: 1307 });
    expect(await listBinlogs(db)).toEqual([
      { name: 'binlog.000015', size: 724935 },
      { name: 'binlog.000016', size: 733481 },
    ]);
    expect(
      await binlogBytesBetween(
        db,
        { file: 'binlog.000015', pos: 724000 },
        { file: 'binlog.000016', pos: 1000 },
      ),
    ).toBe(724935 - 724000 + 1000);
  });
});

describe('MySQL 8.4 replication channel over TLS (documented columns)', () => {
  it('says the channel is encrypted and the source checked against the CA file', () => {
    const status = normaliseReplicaStatus(MYSQL_8_4_TLS_REPLICA_STATUS);
    expect(status.channelTls).toEqual({
      allowed: 'Yes',
      caFile: '/etc/mysql/rds-global-bundle.pem',
      verifyServerCert: true,
      allowedColumn: 'Source_SSL_Allowed',
    });
    expect(describeChannelTls(status.channelTls)).toEqual({
      encrypted: true,
      text: "replication channel encrypted: TLS required, the source's certificate and name checked against /etc/mysql/rds-global-bundle.pem (Source_SSL_Allowed: Yes)",
    });
    expect(
      describeChannelTls({ ...status.channelTls, verifyServerCert: false, caFile: '' }).text,
    ).toContain("TLS required, the source's certificate not checked");
    expect(describeChannelTls({ ...status.channelTls, allowed: 'Ignored' })).toMatchObject({
      encrypted: false,
      text: expect.stringContaining('this replica has no TLS support') as string,
    });
  });
});
