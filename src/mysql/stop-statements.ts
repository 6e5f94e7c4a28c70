import mysql from 'mysql2';
import type { Connection, Pool } from 'mysql2/promise';
import { serverErrno } from './queryable';

/** The server's "Unknown thread id": the connection had ended already, nothing to stop. */
const ER_NO_SUCH_THREAD = 1094;

type CoreConnectionClass = new (options: { config: unknown }) => mysql.Connection;

/**
 * Runs `fn` on a connection of its own, made with `pool`'s settings (server, account, source
 * address, TLS), never one of the pool's: the pool's connections may all be busy with the very
 * statements `fn` is about to stop. mysql2 makes its pool connections the same way, from the pool's
 * connection settings.
 */
export async function withSideConnection<T>(
  pool: Pool,
  fn: (conn: Connection) => Promise<T>,
): Promise<T> {
  const { connectionConfig } = pool.pool.config as unknown as { connectionConfig: unknown };
  const CoreConnection = mysql.Connection as unknown as CoreConnectionClass;
  const core = new CoreConnection({ config: connectionConfig });
  core.on('error', () => undefined); // a failure reaches fn's query as its rejection
  try {
    return await fn(core.promise());
  } finally {
    core.destroy();
  }
}

/**
 * Sends `KILL QUERY <id>` for each server thread (`connection.threadId`) from a connection of its
 * own: the server stops the statement each one is running and rolls that statement back (a
 * transaction it was part of stays open until its own connection rolls it back or closes). A
 * thread that has ended already is fine. A stale kill of an idle thread is harmless: the server
 * forgets it when the thread's next statement starts.
 */
export async function killQueries(pool: Pool, threadIds: readonly number[]): Promise<void> {
  if (threadIds.length === 0) return;
  await withSideConnection(pool, async (conn) => {
    for (const id of threadIds) {
      try {
        await conn.query(`KILL QUERY ${Math.trunc(id)}`);
      } catch (error) {
        if (serverErrno(error) !== ER_NO_SUCH_THREAD) throw error;
      }
    }
  });
}
