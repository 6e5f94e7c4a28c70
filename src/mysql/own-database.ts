import mysql, { type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { quoteIdentifier } from './sql-identifier';

/**
 * opsdeck's own database (`mysql.database`, and the audit trail's or the deploy history's when
 * they name another): created at the first start when the account may, else refused with the
 * exact statements an administrator runs.
 */

/**
 * What opsdeck's account needs on its database: the migrations create and change the tables
 * (CREATE, ALTER), the audit trail appends and reads (INSERT, SELECT), the deploy history also
 * records each deploy's end and prunes old output (UPDATE, DELETE).
 */
export const OWN_DATABASE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'ALTER',
] as const;

/** The GRANT statements that let `account` (quoted, `'user'@'host'`) use `database`. */
export type GrantsFor = (database: string, account: string) => string[];

export const ownDatabaseGrants: GrantsFor = (database, account) => [
  `GRANT ${OWN_DATABASE_PRIVILEGES.join(', ')} ON ${quoteIdentifier(database)}.* TO ${account};`,
];

/** MySQL's answers when an account lacks a privilege (table, database, account, or global). */
const ACCESS_DENIED = new Set([
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
]);

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has((error as { code?: string }).code ?? '');
}

/** `user@host` as CURRENT_USER() says it, quoted for a GRANT: `'user'@'host'`. */
export function quotedAccount(account: string): string {
  const at = account.lastIndexOf('@');
  const user = at < 0 ? account : account.slice(0, at);
  const host = at < 0 ? '%' : account.slice(at + 1);
  return `${mysql.escape(user)}@${mysql.escape(host)}`;
}

/** The statements an administrator runs so that `account` can use `database`. */
export function ownDatabaseStatements(
  database: string,
  account: string,
  grants: GrantsFor = ownDatabaseGrants,
): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)} CHARACTER SET utf8mb4;`,
    ...grants(database, quotedAccount(account)),
  ];
}

/** Whether the account sees `database` (it exists and the account has some privilege on it). */
export async function ownDatabaseVisible(
  conn: Pick<PoolConnection, 'query'>,
  database: string,
): Promise<boolean> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  );
  return rows.length > 0;
}

/** The account the server authenticated the connection as, `user@host`. */
export async function currentAccount(conn: Pick<PoolConnection, 'query'>): Promise<string> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT CURRENT_USER() AS account');
  return String(rows[0]?.account ?? '');
}

/**
 * Creates `database` unless the account sees it already; returns whether it created it. An
 * account that may not create it gets OPSDECK_MYSQL_OWN_DATABASE_MISSING naming the account and
 * the statements to run (a database that exists but on which the account has no privilege looks
 * the same from here, and the same statements fix it).
 */
export async function ensureOwnDatabase(
  conn: Pick<PoolConnection, 'query'>,
  database: string,
  grants: GrantsFor = ownDatabaseGrants,
): Promise<boolean> {
  if (await ownDatabaseVisible(conn, database)) return false;
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)} CHARACTER SET utf8mb4`,
    );
    return true;
  } catch (error) {
    if (!isAccessDenied(error)) throw error;
    const account = await currentAccount(conn);
    throw new OpsdeckError(
      ErrorCode.MysqlOwnDatabaseMissing,
      `database ${database} does not exist (or ${account} has no privilege on it), and ${account} may not create it. As an administrator, run: ${ownDatabaseStatements(database, account, grants).join(' ')}`,
      { cause: error },
    );
  }
}
