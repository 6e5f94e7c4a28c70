import type { Connection } from 'mysql2/promise';

/**
 * What the replication modules need of a MySQL handle: `query`. A mysql2/promise Pool, Connection
 * or PoolConnection all fit. The statements they run are stateless (SHOW, CHANGE, START, STOP), so
 * a pool may send each one on another connection.
 */
export type Queryable = Pick<Connection, 'query'>;

/** The numeric server error of a mysql2 error (`errno`), or undefined for anything else. */
export function serverErrno(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}
