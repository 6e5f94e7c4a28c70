import { ErrorCode } from '../../../src/errors';
import {
  changeSourceStatement,
  replicaStatusStatement,
  sourceStatusStatement,
  startReplicaStatement,
  stopReplicaStatement,
} from '../../../src/mysql/replication-statements';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';

const MARIADB = parseServerFlavor('10.11.19-MariaDB-0+deb12u1');
const MYSQL_5_7 = parseServerFlavor('5.7.44-log');
const MYSQL_8_0_21 = parseServerFlavor('8.0.21');
const MYSQL_8_0_22 = parseServerFlavor('8.0.22');
const MYSQL_8_0_23 = parseServerFlavor('8.0.23');
const MYSQL_8_4 = parseServerFlavor('8.4.3');

const INPUT = {
  host: 'prod.abc.rds.amazonaws.com',
  port: 3306,
  user: 'repl',
  password: "pa'ss",
  file: 'mysql-bin-changelog.012345',
  pos: 98765,
};

describe('replication statements by server version', () => {
  it('uses the replica words on MySQL 8.0.22+ only, the slave words elsewhere', () => {
    for (const flavor of [MARIADB, MYSQL_5_7, MYSQL_8_0_21]) {
      expect(replicaStatusStatement(flavor)).toBe('SHOW SLAVE STATUS');
      expect(startReplicaStatement(flavor)).toBe('START SLAVE');
      expect(stopReplicaStatement(flavor)).toBe('STOP SLAVE');
    }
    for (const flavor of [MYSQL_8_0_22, MYSQL_8_0_23, MYSQL_8_4]) {
      expect(replicaStatusStatement(flavor)).toBe('SHOW REPLICA STATUS');
      expect(startReplicaStatement(flavor)).toBe('START REPLICA');
      expect(stopReplicaStatement(flavor)).toBe('STOP REPLICA');
    }
  });

  it('reads the source position with SHOW BINARY LOG STATUS on MySQL 8.2+', () => {
    expect(sourceStatusStatement(MARIADB)).toBe('SHOW MASTER STATUS');
    expect(sourceStatusStatement(MYSQL_8_0_23)).toBe('SHOW MASTER STATUS');
    expect(sourceStatusStatement(parseServerFlavor('8.2.0'))).toBe('SHOW BINARY LOG STATUS');
    expect(sourceStatusStatement(MYSQL_8_4)).toBe('SHOW BINARY LOG STATUS');
  });

  it('points MariaDB by file and position, GTID explicitly off', () => {
    expect(changeSourceStatement(MARIADB, INPUT)).toEqual({
      sql: 'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_USE_GTID = no',
      values: [INPUT.host, 3306, 'repl', "pa'ss", INPUT.file, 98765],
    });
  });

  it('points MySQL before 8.0.23 with CHANGE MASTER TO, auto-position off', () => {
    for (const flavor of [MYSQL_5_7, MYSQL_8_0_22]) {
      const { sql } = changeSourceStatement(flavor, INPUT);
      expect(sql).toBe(
        'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_AUTO_POSITION = 0',
      );
    }
  });

  it('points MySQL 8.0.23+ with CHANGE REPLICATION SOURCE TO, and TLS on request', () => {
    const { sql, values } = changeSourceStatement(MYSQL_8_4, { ...INPUT, ssl: true });
    expect(sql).toBe(
      'CHANGE REPLICATION SOURCE TO SOURCE_HOST = ?, SOURCE_PORT = ?, SOURCE_USER = ?, SOURCE_PASSWORD = ?, SOURCE_LOG_FILE = ?, SOURCE_LOG_POS = ?, SOURCE_AUTO_POSITION = 0, SOURCE_SSL = 1',
    );
    expect(values).toEqual([INPUT.host, 3306, 'repl', "pa'ss", INPUT.file, 98765]);
  });

  it('keeps the password and every value out of the SQL text', () => {
    const { sql } = changeSourceStatement(MYSQL_8_0_23, INPUT);
    for (const value of [INPUT.host, INPUT.password, INPUT.file, 'repl', '98765']) {
      expect(sql).not.toContain(value);
    }
  });

  it.each([
    [{ file: 'binlog' }, /binary log file name/],
    [{ file: "binlog.000001'; DROP" }, /binary log file name/],
    [{ pos: 3 }, /binary log position/],
    [{ pos: 1.5 }, /binary log position/],
    [{ port: 0 }, /TCP port/],
    [{ host: ' ' }, /host/],
    [{ user: '' }, /user/],
    [{ password: '' }, /password is empty/],
  ])('refuses bad input %j', (override, message) => {
    expect(() => changeSourceStatement(MARIADB, { ...INPUT, ...override })).toThrow(
      expect.objectContaining({
        code: ErrorCode.InputInvalid,
        message: expect.stringMatching(message),
      }),
    );
  });
});
