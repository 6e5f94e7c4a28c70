import { ErrorCode } from '../../../src/errors';
import {
  describeFlavor,
  isAtLeast,
  parseServerFlavor,
  readServerFlavor,
} from '../../../src/mysql/server-flavor';
import type { Queryable } from '../../../src/mysql/queryable';

describe('server flavor', () => {
  it.each([
    ['8.0.36', 'Source distribution', 'mysql', [8, 0, 36]],
    ['8.4.3', 'MySQL Community Server - GPL', 'mysql', [8, 4, 3]],
    ['5.7.44-log', 'MySQL Community Server (GPL)', 'mysql', [5, 7, 44]],
    ['8.0.35-27', 'Percona Server (GPL), Release 27', 'mysql', [8, 0, 35]],
    ['10.11.19-MariaDB-0+deb12u1', 'Debian 12', 'mariadb', [10, 11, 19]],
    ['10.6.14-MariaDB-log', 'managed by https://aws.amazon.com/rds/', 'mariadb', [10, 6, 14]],
    ['5.5.5-10.11.6-MariaDB', '', 'mariadb', [10, 11, 6]],
    ['11.4.2', 'mariadb.org binary distribution', 'mariadb', [11, 4, 2]],
  ])('reads %s (%s)', (version, comment, product, numbers) => {
    expect(parseServerFlavor(version, comment)).toEqual({
      product,
      version: numbers,
      text: version,
    });
  });

  it('refuses a version it cannot read', () => {
    expect(() => parseServerFlavor('unknown')).toThrow(
      expect.objectContaining({ code: ErrorCode.MysqlVersionUnknown }),
    );
  });

  it('compares versions within a product only', () => {
    const mysql8022 = parseServerFlavor('8.0.22');
    expect(isAtLeast(mysql8022, 'mysql', [8, 0, 22])).toBe(true);
    expect(isAtLeast(mysql8022, 'mysql', [8, 0, 23])).toBe(false);
    expect(isAtLeast(mysql8022, 'mysql', [5, 7, 99])).toBe(true);
    expect(isAtLeast(parseServerFlavor('8.1.0'), 'mysql', [8, 0, 23])).toBe(true);
    expect(isAtLeast(parseServerFlavor('10.11.6-MariaDB'), 'mysql', [8, 0, 0])).toBe(false);
    expect(describeFlavor(parseServerFlavor('10.11.6-MariaDB'))).toBe('MariaDB 10.11.6');
  });

  it('reads VERSION() and @@version_comment from the server', async () => {
    const query = jest
      .fn()
      .mockResolvedValue([[{ version: '8.0.36', comment: 'Source distribution' }]]);
    const flavor = await readServerFlavor({ query } as unknown as Queryable);
    expect(flavor).toEqual({ product: 'mysql', version: [8, 0, 36], text: '8.0.36' });
    expect(query.mock.calls[0]![0]).toMatch(/VERSION\(\).*@@version_comment/);
  });
});
