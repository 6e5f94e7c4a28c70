import { isMysqlAtLeast, parseServerVersion } from '../../../src/mysql/server-flavor';

const MARIADB = parseServerVersion('10.11.19-MariaDB-0+deb12u1-log');
const MYSQL_80 = parseServerVersion('8.0.35');
const MYSQL_84 = parseServerVersion('8.4.3-log');

describe('server flavor', () => {
  it('reads the flavor and version of a server', () => {
    expect(MARIADB).toEqual({ kind: 'mariadb', version: [10, 11, 19] });
    expect(MYSQL_84).toEqual({ kind: 'mysql', version: [8, 4, 3] });
    expect(isMysqlAtLeast(MYSQL_84, 8, 2, 0)).toBe(true);
    expect(isMysqlAtLeast(parseServerVersion('8.2.0'), 8, 2, 0)).toBe(true);
    expect(isMysqlAtLeast(MYSQL_80, 8, 2, 0)).toBe(false);
    expect(isMysqlAtLeast(MARIADB, 8, 2, 0)).toBe(false);
  });
});
