import {
  describeReplicaHealth,
  normaliseReplicaStatus,
  readReplicaStatus,
  type ReplicaStatus,
} from '../../../src/mysql/replica-status';
import type { Queryable } from '../../../src/mysql/queryable';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';
import {
  MARIADB_10_11_SLAVE_STATUS,
  MYSQL_5_7_SLAVE_STATUS,
  MYSQL_8_0_36_REPLICA_STATUS,
} from '../../fixtures/mysql/replica-status-rows';

const fakeDb = (rows: Record<string, unknown>[]) => {
  const query = jest.fn().mockResolvedValue([rows, []]);
  return { db: { query } as unknown as Queryable, query };
};

describe('replica status', () => {
  it('normalises MySQL 8.0.22+ SHOW REPLICA STATUS', () => {
    expect(normaliseReplicaStatus(MYSQL_8_0_36_REPLICA_STATUS)).toEqual({
      sourceHost: 'prod-db.abc123.eu-west-1.rds.amazonaws.com',
      sourcePort: 3306,
      sourceUser: 'repl',
      ioRunning: 'Yes',
      sqlRunning: 'Yes',
      read: { file: 'mysql-bin-changelog.012346', pos: 1200 },
      executed: { file: 'mysql-bin-changelog.012345', pos: 98765 },
      secondsBehind: 3,
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
  });

  it('normalises MySQL 5.7 / 8.0.21 SHOW SLAVE STATUS, numbers given as strings', () => {
    expect(normaliseReplicaStatus(MYSQL_5_7_SLAVE_STATUS)).toMatchObject({
      sourceHost: '10.0.1.20',
      ioRunning: 'No',
      sqlRunning: 'Yes',
      read: { file: 'mysql-bin.000101', pos: 4 },
      executed: { file: 'mysql-bin.000100', pos: 154 },
      secondsBehind: null,
      lastIoErrno: 1236,
      lastIoErrorAt: new Date('2025-11-21T15:30:00Z'),
    });
  });

  it('normalises MariaDB 10.11 SHOW SLAVE STATUS', () => {
    expect(normaliseReplicaStatus(MARIADB_10_11_SLAVE_STATUS)).toMatchObject({
      sourceHost: '127.0.0.1',
      sourcePort: 43603,
      ioRunning: 'Yes',
      sqlRunning: 'No',
      read: { file: 'binlog.000007', pos: 199879 },
      executed: { file: 'binlog.000006', pos: 1706 },
      lastSqlErrno: 1032,
      lastIoErrorAt: null,
    });
  });

  it('maps a starting IO thread to Connecting, and anything but Yes on the SQL side to No', () => {
    const status = normaliseReplicaStatus({
      ...MARIADB_10_11_SLAVE_STATUS,
      Slave_IO_Running: 'Preparing',
      Slave_SQL_Running: 'Preparing',
    });
    expect(status).toMatchObject({ ioRunning: 'Connecting', sqlRunning: 'No' });
  });

  it('reads with the statement of the server version, null when not a replica', async () => {
    const mysql = fakeDb([MYSQL_8_0_36_REPLICA_STATUS]);
    expect(await readReplicaStatus(mysql.db, parseServerFlavor('8.0.36'))).toMatchObject({
      executed: { file: 'mysql-bin-changelog.012345', pos: 98765 },
    });
    expect(mysql.query).toHaveBeenCalledWith('SHOW REPLICA STATUS');

    const mariadb = fakeDb([]);
    expect(await readReplicaStatus(mariadb.db, parseServerFlavor('10.11.6-MariaDB'))).toBeNull();
    expect(mariadb.query).toHaveBeenCalledWith('SHOW SLAVE STATUS');
  });

  it('reads the default channel of a multi-source MySQL replica', async () => {
    const other = { ...MYSQL_8_0_36_REPLICA_STATUS, Channel_Name: 'analytics', Source_Host: 'x' };
    const { db } = fakeDb([other, MYSQL_8_0_36_REPLICA_STATUS]);
    const status = await readReplicaStatus(db, parseServerFlavor('8.0.36'));
    expect(status?.sourceHost).toBe('prod-db.abc123.eu-west-1.rds.amazonaws.com');
  });
});

describe('replica health', () => {
  const base = normaliseReplicaStatus(MYSQL_8_0_36_REPLICA_STATUS);
  const withStatus = (change: Partial<ReplicaStatus>) => ({ ...base, ...change });

  it('describes a running replica in one line', () => {
    expect(describeReplicaHealth(base)).toEqual({
      state: 'running',
      summary:
        'IO Yes, SQL Yes, 3 s behind, source repl@prod-db.abc123.eu-west-1.rds.amazonaws.com:3306, executed mysql-bin-changelog.012345:98765',
    });
  });

  it('says so when the server is not a replica', () => {
    expect(describeReplicaHealth(null).state).toBe('not-a-replica');
  });

  it('recognises a purged binlog (1236) and advises a reseed and more retention', () => {
    const health = describeReplicaHealth(
      normaliseReplicaStatus(MYSQL_5_7_SLAVE_STATUS),
      new Date('2025-11-21T15:42:00Z'),
    );
    expect(health.state).toBe('binlog-gone');
    expect(health.summary).toBe(
      'IO No, SQL Yes, lag unknown, source repl@10.0.1.20:3306, executed mysql-bin.000100:154',
    );
    expect(health.error).toBe(
      "IO error 1236: Got fatal error 1236 from master when reading data from binary log: 'Could not find first log file name in binary log index file' (since 2025-11-21T15:30:00.000Z, 12 min ago)",
    );
    expect(health.advice).toMatch(/\/seed-slave <rds-source> <replica>/);
    expect(health.advice).toMatch(/binlog retention hours/);
  });

  it('recognises the GTID variants of a purged binlog too', () => {
    for (const text of [
      "Got fatal error 1236 from master when reading data from binary log: 'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.'",
      "Got fatal error 1236 from source when reading data from binary log: 'Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup.'",
    ]) {
      const status = withStatus({ ioRunning: 'No', lastIoErrno: 1236, lastIoError: text });
      expect(describeReplicaHealth(status).state).toBe('binlog-gone');
    }
  });

  it('reports another 1236 reason as broken, with its text', () => {
    const text =
      "Got fatal error 1236 from master when reading data from binary log: 'Client requested master to start replication from position > file size'";
    const health = describeReplicaHealth(
      withStatus({ ioRunning: 'No', lastIoErrno: 1236, lastIoError: text }),
    );
    expect(health).toMatchObject({ state: 'broken', error: `IO error 1236: ${text}` });
  });

  it('reports a stopped SQL thread with its error as broken', () => {
    const health = describeReplicaHealth(normaliseReplicaStatus(MARIADB_10_11_SLAVE_STATUS));
    expect(health.state).toBe('broken');
    expect(health.error).toMatch(/^SQL error 1032: Could not execute Update_rows_v1 event/);
    expect(health.advice).toMatch(/seed it again/);
  });

  it('tells a stopped replica from a connecting one, and a connecting one that fails', () => {
    expect(describeReplicaHealth(withStatus({ ioRunning: 'No', sqlRunning: 'No' })).state).toBe(
      'stopped',
    );
    expect(describeReplicaHealth(withStatus({ ioRunning: 'Connecting' }))).toMatchObject({
      state: 'connecting',
    });
    const denied = describeReplicaHealth(
      withStatus({
        ioRunning: 'Connecting',
        lastIoErrno: 1045,
        lastIoError:
          "error connecting to master 'repl@10.0.1.20:3306' - retry-time: 60 maximum-retries: 86400 message: Access denied for user 'repl'@'10.0.2.7' (using password: YES)",
      }),
    );
    expect(denied).toMatchObject({
      state: 'connecting',
      error: expect.stringMatching(/^IO error 1045: /),
    });
    expect(denied.advice).toMatch(/replication user/);
  });
});
