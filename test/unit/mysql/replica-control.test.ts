import { ErrorCode, OpsdeckError } from '../../../src/errors';
import type { Queryable } from '../../../src/mysql/queryable';
import {
  pointReplicaAt,
  scrub,
  startReplica,
  stopReplica,
} from '../../../src/mysql/replica-control';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';
import { everyRendering } from '../../helpers/replication';

const MARIADB = parseServerFlavor('10.11.19-MariaDB');
const MYSQL = parseServerFlavor('8.0.36');
const PASSWORD = `p'a"s\\s-${'x'.repeat(8)}`;
const AT = { host: 'src.example', port: 3306, file: 'binlog.000012', pos: 1234 };
const CHANNEL = { tls: { mode: 'verify-identity', caFile: '/etc/mysql/rds-ca.pem' } } as const;

/** An error shaped like mysql2's: the statement with its values quoted in, the server's text. */
function mysql2Error(errno: number, message: string, sql: string): Error {
  return Object.assign(new Error(message), {
    code: 'ER_SOMETHING',
    errno,
    sqlState: 'HY000',
    sqlMessage: message,
    sql,
  });
}

function fakeDb(fail: (sql: string, values: unknown[]) => Error | null) {
  const calls: [string, unknown[]][] = [];
  const query = jest.fn(async (sql: string, values: unknown[] = []) => {
    calls.push([sql, values]);
    if (/SLAVE STATUS|REPLICA STATUS/.test(sql)) return [[], []];
    const error = fail(sql, values);
    if (error) throw error;
    return [{ affectedRows: 0 }, []];
  });
  return { db: { query } as unknown as Queryable, calls };
}

describe('replica control', () => {
  it('sends the password as a value and returns the status from before', async () => {
    const { db, calls } = fakeDb(() => null);
    const before = await pointReplicaAt(
      db,
      MARIADB,
      AT,
      { user: 'repl', password: PASSWORD },
      CHANNEL,
    );
    expect(before).toBeNull();
    expect(calls[0]![0]).toBe('SHOW SLAVE STATUS');
    expect(calls[1]![0]).toMatch(
      /^CHANGE MASTER TO .*MASTER_USE_GTID = no, MASTER_SSL = 1, MASTER_SSL_CA = \?, MASTER_SSL_VERIFY_SERVER_CERT = 1$/,
    );
    expect(calls[1]![1]).toContain('/etc/mysql/rds-ca.pem');
    expect(calls[1]![0]).not.toContain(PASSWORD);
    expect(calls[1]![1]).toContain(PASSWORD);
  });

  it('rethrows a server error with its text and code, the password in no form', async () => {
    const quoted = `'${PASSWORD.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/"/g, '\\"')}'`;
    const { db } = fakeDb((sql) =>
      mysql2Error(
        1198,
        `This operation cannot be performed as you have a running slave ''; run STOP SLAVE '' first (password was ${quoted}, raw ${PASSWORD})`,
        sql.replace('MASTER_PASSWORD = ?', `MASTER_PASSWORD = ${quoted}`),
      ),
    );
    const error = await pointReplicaAt(
      db,
      MARIADB,
      AT,
      { user: 'repl', password: PASSWORD },
      CHANNEL,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsdeckError);
    expect(error).toMatchObject({ code: ErrorCode.ReplicationStatementFailed, retryable: false });
    expect((error as Error).message).toMatch(/running slave ''; run STOP SLAVE '' first/);
    expect((error as Error).message).toMatch(/errno 1198/);
    expect(everyRendering(error)).not.toContain(PASSWORD);
    expect(everyRendering(error)).not.toContain(quoted.slice(1, -1));
  });

  it('withholds a syntax error’s text, which quotes the statement', async () => {
    const { db } = fakeDb((sql) =>
      mysql2Error(
        1064,
        `You have an error in your SQL syntax; check the manual near '${PASSWORD.slice(0, 6)}' at line 1`,
        sql,
      ),
    );
    const error = await pointReplicaAt(
      db,
      MYSQL,
      AT,
      { user: 'repl', password: PASSWORD },
      CHANNEL,
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/could not parse the statement/);
    expect(everyRendering(error)).not.toContain(PASSWORD.slice(0, 6));
  });

  it('marks a lost connection as retryable', async () => {
    const { db } = fakeDb(() =>
      Object.assign(new Error('Connection lost: The server closed the connection.'), {
        code: 'PROTOCOL_CONNECTION_LOST',
      }),
    );
    await expect(startReplica(db, MYSQL)).rejects.toMatchObject({
      code: ErrorCode.ReplicationStatementFailed,
      retryable: true,
      message: expect.stringMatching(/^starting replication failed: Connection lost/),
    });
  });

  it('stops with the statement of the version, and finds nothing to stop on a server never a replica', async () => {
    const ok = fakeDb(() => null);
    await stopReplica(ok.db, MYSQL);
    await stopReplica(ok.db, MARIADB);
    expect(ok.calls.map(([sql]) => sql)).toEqual(['STOP REPLICA', 'STOP SLAVE']);
    const never = fakeDb((sql) => mysql2Error(1200, 'The server is not configured as slave', sql));
    await expect(stopReplica(never.db, MARIADB)).resolves.toBeUndefined();
    const denied = fakeDb((sql) => mysql2Error(1227, 'Access denied; you need SUPER', sql));
    await expect(stopReplica(denied.db, MARIADB)).rejects.toMatchObject({
      code: ErrorCode.ReplicationStatementFailed,
    });
  });

  it('scrubs a secret as is, escaped and quoted', () => {
    expect(scrub(`a ${PASSWORD} b`, [PASSWORD])).toBe('a *** b');
    expect(scrub("x 'it\\'s' y", ["it's"])).toBe('x *** y');
    expect(scrub('nothing here', [''])).toBe('nothing here');
  });
});
