import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { qualifiedTable, quoteIdentifier } from '../mysql/sql-identifier';
import { killQueries } from '../mysql/stop-statements';
import { readTableShape } from '../mysql/table-shape';
import { refused } from './restore-preflight';

export interface MergeRequest {
  schema: string;
  table: string;
  sideTable: string;
  /** Cancel or step timeout: the INSERT is stopped and its transaction rolled back. */
  signal: AbortSignal;
}

export type MergeResult =
  | { outcome: 'merged'; inserted: number }
  | {
      /** The signal aborted before the COMMIT: nothing was inserted. */
      outcome: 'rolled-back';
      /** The server thread that ran the INSERT. */
      connectionId: number;
      /** Whether the INSERT was still running and was stopped with KILL QUERY. */
      killed: boolean;
      /** Rows the INSERT had inserted when it was stopped (known only if it had finished). */
      uncommittedRows: number | null;
    };

/**
 * Inserts into production the rows of the side table whose key production lacks, in one
 * `INSERT … SELECT` inside a transaction of its own: no row is updated or deleted, and a conflict
 * on another unique key or a foreign key inserts nothing. The signal is honoured to the last
 * moment: an abort while the INSERT runs sends `KILL QUERY` on its connection (from another
 * connection, so it works while every pooled one is busy), waits for the server to stop it, and
 * rolls the transaction back; an abort after the INSERT but before the COMMIT rolls back too.
 * Nothing commits without this function's COMMIT, so a worker that dies mid-merge leaves nothing
 * either (the server rolls back an open transaction when its connection closes).
 */
export async function mergeMissingRows(pool: Pool, request: MergeRequest): Promise<MergeResult> {
  const { schema, table, sideTable, signal } = request;
  signal.throwIfAborted();
  const shape = await readTableShape(pool, schema, sideTable);
  const key = shape.key;
  if (key === null) throw refused(`${schema}.${sideTable} has no key to merge by`);
  const columns = shape.insertable.map((c) => quoteIdentifier(c.name));
  const keyNames = key.columns.map((c) => quoteIdentifier(c.name));
  const insert = `INSERT INTO ${qualifiedTable(schema, table)} (${columns.join(', ')})
       SELECT ${columns.map((c) => `s.${c}`).join(', ')}
         FROM ${qualifiedTable(schema, sideTable)} AS s
         LEFT JOIN ${qualifiedTable(schema, table)} AS p ON ${keyNames.map((c) => `p.${c} = s.${c}`).join(' AND ')}
        WHERE p.${keyNames[0]!} IS NULL`;

  const conn = await pool.getConnection();
  const connectionId = conn.threadId;
  const kill: { sent: Promise<void> | null } = { sent: null };
  let running = false;
  const onAbort = () => {
    // A failed kill is no error of the merge: the INSERT then runs to its end, uncommitted.
    if (running) kill.sent = killQueries(pool, [connectionId]).catch(() => undefined);
  };
  let reusable = false;
  try {
    await conn.query('START TRANSACTION');
    let inserted: number | null = null;
    running = true;
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw signal.reason;
      const [result] = await conn.query<ResultSetHeader>(insert);
      inserted = result.affectedRows;
    } catch (error) {
      if (!signal.aborted) {
        await rollback(conn);
        reusable = true;
        throw mergeRefusal(error, sideTable);
      }
    } finally {
      running = false;
      signal.removeEventListener('abort', onAbort);
    }
    // A kill still on its way must land before the next statement, or it could stop that one.
    await kill.sent;
    if (signal.aborted) {
      await rollback(conn);
      reusable = true;
      return {
        outcome: 'rolled-back',
        connectionId,
        killed: kill.sent !== null && inserted === null,
        uncommittedRows: inserted,
      };
    }
    await conn.query('COMMIT');
    reusable = true;
    return { outcome: 'merged', inserted: inserted ?? 0 };
  } finally {
    if (reusable) conn.release();
    else conn.destroy();
  }
}

async function rollback(conn: PoolConnection): Promise<void> {
  await conn.query('ROLLBACK');
}

/** A conflict on another unique key or a foreign key: the merge is refused, nothing inserted. */
function mergeRefusal(error: unknown, sideTable: string): unknown {
  const code = (error as { code?: string }).code;
  if (
    code === 'ER_DUP_ENTRY' ||
    code === 'ER_NO_REFERENCED_ROW_2' ||
    code === 'ER_NO_REFERENCED_ROW'
  )
    return refused(
      `production refused the merge, so nothing was inserted (one statement, all or none): ${(error as Error).message}. The restored rows are in \`${sideTable}\` to merge by hand.`,
      error,
    );
  return error;
}
