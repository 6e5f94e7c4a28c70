import { ErrorCode } from '../../../src/errors';
import {
  listBinlogs,
  readBinlogSettings,
  readRequireSecureTransport,
  readSourcePosition,
} from '../../../src/mysql/binlog-source';
import type { Queryable } from '../../../src/mysql/queryable';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';

const serverError = (errno: number, message: string) =>
  Object.assign(new Error(message), { errno });

function fakeDb(answer: (sql: string) => unknown) {
  const query = jest.fn(async (sql: string) => {
    const result = answer(sql);
    if (result instanceof Error) throw result;
    return [result, []];
  });
  return { db: { query } as unknown as Queryable, query };
}

describe('binlog source (server answers faked)', () => {
  it('reads the position with the statement of the source’s version', async () => {
    const { db, query } = fakeDb(() => [{ File: 'binlog.000042', Position: '1234' }]);
    expect(await readSourcePosition(db, parseServerFlavor('8.4.3'))).toEqual({
      file: 'binlog.000042',
      pos: 1234,
    });
    expect(query).toHaveBeenCalledWith('SHOW BINARY LOG STATUS');
  });

  it('says so when the server has no binary log', async () => {
    const empty = fakeDb(() => []);
    await expect(
      readSourcePosition(empty.db, parseServerFlavor('10.11.6-MariaDB')),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlBinlogDisabled });
    const off = fakeDb(() => serverError(1381, 'You are not using binary logging'));
    await expect(listBinlogs(off.db)).rejects.toMatchObject({
      code: ErrorCode.MysqlBinlogDisabled,
    });
  });

  it('reads require_secure_transport as null on a server without it, and lets other errors through', async () => {
    const old = fakeDb(() =>
      serverError(1193, "Unknown system variable 'require_secure_transport'"),
    );
    expect(await readRequireSecureTransport(old.db)).toBeNull();
    const denied = fakeDb(() => serverError(1227, 'Access denied; you need the SUPER privilege'));
    await expect(readRequireSecureTransport(denied.db)).rejects.toThrow('Access denied');
    expect(await readRequireSecureTransport(fakeDb(() => [{ required: '1' }]).db)).toBe(true);
    expect(await readRequireSecureTransport(fakeDb(() => [{ required: 0 }]).db)).toBe(false);
  });

  it('lets an error other than a missing RDS procedure through', async () => {
    const { db } = fakeDb((sql) =>
      sql.startsWith('CALL')
        ? serverError(1370, 'execute command denied to user')
        : [{ logBin: 1, format: 'ROW', serverId: 7 }],
    );
    await expect(readBinlogSettings(db)).rejects.toThrow('execute command denied');
  });
});
