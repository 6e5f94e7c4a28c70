import mysql from 'mysql2';
import type { Connection, Pool } from 'mysql2/promise';
import { abortError, sleepUnlessAborted } from '../util/sleep';
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
async function killQueries(pool: Pool, threadIds: readonly number[]): Promise<void> {
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

/** How often a stop sends KILL QUERY again while the work it stops has not ended. */
const KILL_AGAIN_MS = 500;

/**
 * The server threads (`connection.threadId`) of one pool's connections whose statements a stop
 * kills: a connection counts from `add` until the function `add` returns is called.
 */
export class StoppableStatements {
  private readonly threads = new Set<number>();
  /** The threads a stop sent KILL QUERY, in order. */
  readonly killed: number[] = [];

  constructor(readonly pool: Pool) {}

  add(conn: { threadId: number }): () => void {
    const id = conn.threadId;
    this.threads.add(id);
    return () => this.threads.delete(id);
  }

  /** KILL QUERY for every thread counted now. */
  async kill(): Promise<void> {
    const ids = [...this.threads];
    await killQueries(this.pool, ids);
    for (const id of ids) if (!this.killed.includes(id)) this.killed.push(id);
  }
}

/**
 * Runs `work`, whose statements run on connections counted in `statements`, and stops it when
 * `signal` aborts: KILL QUERY for the counted threads at once (from a connection of its own, so it
 * works while every pooled one is busy), and again every half second while `work` has not ended (a
 * statement that reached the server just after a kill is stopped by the next). The server rolls
 * back each statement it stops. Once `work` has ended and every kill has landed (so no kill meant
 * for this work hits the caller's next statement), it rejects with the signal's reason: the
 * engine's CancelledError or step timeout, whatever `work` ended with. `work` must check `signal`
 * before each statement it starts, so that none starts after the abort. A kill that fails (the
 * server unreachable) is no error of the work's: its statement then ends on its own.
 */
export async function stopOnAbort<T>(
  signal: AbortSignal,
  statements: StoppableStatements,
  work: () => Promise<T>,
): Promise<T> {
  if (signal.aborted) throw abortError(signal);
  const ended = new AbortController();
  const running = work().finally(() => ended.abort());
  let stopping: Promise<void> | undefined;
  const onAbort = () => {
    stopping = (async () => {
      while (!ended.signal.aborted) {
        await statements.kill().catch(() => undefined);
        await sleepUnlessAborted(KILL_AGAIN_MS, ended.signal);
      }
    })();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await running };
  } catch (error) {
    outcome = { error };
  }
  signal.removeEventListener('abort', onAbort);
  await stopping;
  if (signal.aborted) throw abortError(signal);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** What a stop did, for a thread: the connections whose statements were killed, or none. */
export function describeStopped(killed: readonly number[]): string {
  return killed.length === 0
    ? 'no statement of it was running'
    : `the statements it was running were stopped (KILL QUERY on connection${killed.length === 1 ? '' : 's'} ${killed.join(', ')}) and rolled back`;
}
