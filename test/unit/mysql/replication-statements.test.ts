import { ErrorCode } from '../../../src/errors';
import {
  changeSourceStatement,
  type ChangeSourceInput,
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

const CA = '/etc/mysql/rds-global-bundle.pem';
const INPUT = {
  host: 'prod.abc.rds.amazonaws.com',
  port: 3306,
  user: 'repl',
  password: "pa'ss",
  file: 'mysql-bin-changelog.012345',
  pos: 98765,
  tls: { mode: 'verify-identity', caFile: CA },
} as const;
const PLAIN = { ...INPUT, tls: { mode: 'disabled' } } as const;

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

  it('points MariaDB by file and position, GTID explicitly off, over TLS with the source checked', () => {
    expect(changeSourceStatement(MARIADB, INPUT)).toEqual({
      sql: 'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_USE_GTID = no, MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 1',
      values: [INPUT.host, 3306, 'repl', "pa'ss", INPUT.file, 98765, CA],
    });
  });

  it('points MySQL before 8.0.23 with CHANGE MASTER TO, auto-position off', () => {
    expect(changeSourceStatement(MYSQL_5_7, INPUT).sql).toBe(
      'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_AUTO_POSITION = 0, MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 1',
    );
    // 8.0.4-8.0.22 know GET_MASTER_PUBLIC_KEY: stated, off over TLS.
    expect(changeSourceStatement(MYSQL_8_0_22, INPUT).sql).toBe(
      'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_AUTO_POSITION = 0, MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 1, GET_MASTER_PUBLIC_KEY = 0',
    );
  });

  it('points MySQL 8.0.23+ with CHANGE REPLICATION SOURCE TO and the SOURCE_SSL options', () => {
    const { sql, values } = changeSourceStatement(MYSQL_8_4, INPUT);
    expect(sql).toBe(
      'CHANGE REPLICATION SOURCE TO SOURCE_HOST = ?, SOURCE_PORT = ?, SOURCE_USER = ?, SOURCE_PASSWORD = ?, SOURCE_LOG_FILE = ?, SOURCE_LOG_POS = ?, SOURCE_AUTO_POSITION = 0, SOURCE_SSL = 1, SOURCE_SSL_CA = ?, SOURCE_SSL_VERIFY_SERVER_CERT = 1, GET_SOURCE_PUBLIC_KEY = 0',
    );
    expect(values).toEqual([INPUT.host, 3306, 'repl', "pa'ss", INPUT.file, 98765, CA]);
  });

  it('asks for the source public key only for a caching_sha2_password account without TLS', () => {
    const sha2 = { authPlugin: 'caching_sha2_password' };
    expect(changeSourceStatement(MYSQL_8_4, { ...PLAIN, ...sha2 }).sql).toMatch(
      /SOURCE_SSL = 0, SOURCE_SSL_CA = \?, SOURCE_SSL_VERIFY_SERVER_CERT = 0, GET_SOURCE_PUBLIC_KEY = 1$/,
    );
    expect(changeSourceStatement(MYSQL_8_0_22, { ...PLAIN, ...sha2 }).sql).toMatch(
      /, GET_MASTER_PUBLIC_KEY = 1$/,
    );
    // Over TLS the password goes encrypted; a native-password account needs no key.
    expect(changeSourceStatement(MYSQL_8_4, { ...INPUT, ...sha2 }).sql).toMatch(
      /GET_SOURCE_PUBLIC_KEY = 0$/,
    );
    expect(
      changeSourceStatement(MYSQL_8_4, { ...PLAIN, authPlugin: 'mysql_native_password' }).sql,
    ).toMatch(/GET_SOURCE_PUBLIC_KEY = 0$/);
    // MariaDB and MySQL before 8.0.4 have no such option: never sent to them.
    for (const flavor of [MARIADB, MYSQL_5_7])
      expect(changeSourceStatement(flavor, { ...PLAIN, ...sha2 }).sql).not.toMatch(/PUBLIC_KEY/);
  });

  it('states every TLS option, so nothing of a previous CHANGE MASTER TO lingers', () => {
    const plain = changeSourceStatement(MARIADB, PLAIN);
    expect(plain.sql).toMatch(
      /MASTER_SSL = 0, MASTER_SSL_CA = \?, MASTER_SSL_VERIFY_SERVER_CERT = 0$/,
    );
    expect(plain.values.at(-1)).toBe('');
    const required = changeSourceStatement(MYSQL_8_4, { ...INPUT, tls: { mode: 'required' } });
    expect(required.sql).toMatch(
      /SOURCE_SSL = 1, SOURCE_SSL_CA = \?, SOURCE_SSL_VERIFY_SERVER_CERT = 0,/,
    );
    expect(required.values.at(-1)).toBe('');
    const requiredWithCa = changeSourceStatement(MYSQL_8_4, {
      ...INPUT,
      tls: { mode: 'required', caFile: CA },
    });
    expect(requiredWithCa.sql).toMatch(/SOURCE_SSL_VERIFY_SERVER_CERT = 0,/);
    expect(requiredWithCa.values.at(-1)).toBe(CA);
  });

  it('keeps the password and every value out of the SQL text', () => {
    const { sql } = changeSourceStatement(MYSQL_8_0_23, INPUT);
    for (const value of [INPUT.host, INPUT.password, INPUT.file, 'repl', '98765']) {
      expect(sql).not.toContain(value);
    }
  });

  it.each<[Partial<ChangeSourceInput>, RegExp]>([
    [{ file: 'binlog' }, /binary log file name/],
    [{ file: "binlog.000001'; DROP" }, /binary log file name/],
    [{ pos: 3 }, /binary log position/],
    [{ pos: 1.5 }, /binary log position/],
    [{ port: 0 }, /TCP port/],
    [{ host: ' ' }, /host/],
    [{ user: '' }, /user/],
    [{ password: '' }, /password is empty/],
    [{ tls: { mode: 'verify-identity' } }, /needs the CA file's path on the replica host/],
    [{ tls: { mode: 'disabled', caFile: CA } }, /a CA file without TLS/],
    [{ tls: { mode: 'required', caFile: `${CA}\nMASTER_HOST='x'` } }, /CA file path/],
    [{ tls: { mode: 'required', caFile: 'x'.repeat(513) } }, /CA file path/],
  ])('refuses bad input %j', (override, message) => {
    expect(() => changeSourceStatement(MARIADB, { ...INPUT, ...override })).toThrow(
      expect.objectContaining({
        code: ErrorCode.InputInvalid,
        message: expect.stringMatching(message),
      }),
    );
  });
});
