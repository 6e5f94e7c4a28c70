import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { compareTables } from '../mysql/compare-tables';
import { qualifiedTable, quoteIdentifier } from '../mysql/sql-identifier';
import { StoppableStatements, stopOnAbort } from '../mysql/stop-statements';
import { readTableShape } from '../mysql/table-shape';
import { refused } from './restore-preflight';
import {
  mergeObstacle,
  readTableDependencies,
  replaceObstacle,
  type ForeignKey,
} from './table-dependencies';

/**
 * Taking a restored table's rows into production (`--mode merge` and `--mode replace`), once the
 * side table `<table>__restored_<stamp>` is verified and a second person approved. Every refusal
 * (RestoreRefused) leaves production as it was and says what to do instead.
 */

export interface RestoredTable {
  schema: string;
  /** The production table. */
  table: string;
  /** The verified side table with the restored rows, in the same schema. */
  sideTable: string;
}

export interface MergeRequest extends RestoredTable {
  /** `--fire-triggers`: production's INSERT triggers may run (else a table with some is refused). */
  fireTriggers?: boolean;
  /** Cancel or step timeout: the INSERT is stopped and its transaction rolled back. */
  signal?: AbortSignal;
}

export type MergeResult =
  | {
      outcome: 'merged';
      inserted: number;
      /** Production compared with the side table after the merge. */
      after: { missing: number; changed: number; extra: number };
    }
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
 * Inserts into production the side table's rows whose key production lacks, in one
 * `INSERT … SELECT` inside a transaction of its own: no row is updated or deleted, and a conflict
 * on another unique key or a foreign key inserts nothing and is refused. Production's INSERT
 * triggers are checked again first (one may have been added since the plan was approved): the
 * merge is refused unless `fireTriggers`. The signal is honoured to the last moment: an abort
 * while the INSERT runs sends `KILL QUERY` on its connection (from another connection, so it works
 * while every pooled one is busy), waits for the server to stop it, and rolls the transaction
 * back; an abort after the INSERT but before the COMMIT rolls back too. Nothing commits without
 * this function's COMMIT, so a worker that dies mid-merge leaves nothing either (the server rolls
 * back an open transaction when its connection closes).
 */
export async function mergeMissingRows(pool: Pool, request: MergeRequest): Promise<MergeResult> {
  const { schema, table, sideTable } = request;
  const signal = request.signal ?? new AbortController().signal;
  signal.throwIfAborted();
  const deps = await readTableDependencies(pool, schema, table);
  const obstacle = mergeObstacle(deps, schema, table, request.fireTriggers === true);
  if (obstacle) throw refused(`${obstacle} Nothing was inserted.`);
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
  const statements = new StoppableStatements(pool);
  let reusable = false;
  let inserted: number | null = null;
  try {
    await conn.query('START TRANSACTION');
    try {
      const [result] = await stopOnAbort(signal, statements, () => {
        statements.add(conn);
        return conn.query<ResultSetHeader>(insert);
      });
      inserted = result.affectedRows;
    } catch (error) {
      if (!signal.aborted) {
        await conn.query('ROLLBACK');
        reusable = true;
        throw mergeRefusal(error, sideTable);
      }
    }
    if (signal.aborted) {
      await conn.query('ROLLBACK');
      reusable = true;
      return {
        outcome: 'rolled-back',
        connectionId: conn.threadId,
        killed: statements.killed.length > 0,
        uncommittedRows: inserted,
      };
    }
    await conn.query('COMMIT');
    reusable = true;
  } finally {
    if (reusable) conn.release();
    else conn.destroy();
  }
  const after = await compareTables(pool, schema, table, sideTable, 0);
  return {
    outcome: 'merged',
    inserted: inserted ?? 0,
    after: { missing: after.missing.count, changed: after.changed.count, extra: after.extra.count },
  };
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

/** The swapped-in table's AUTO_INCREMENT, raised above production's before the swap. */
export interface RaisedAutoIncrement {
  column: string;
  /** Production's counter (SHOW CREATE TABLE's AUTO_INCREMENT=). */
  counter: string;
  /** Production's highest id, or null when it had no rows. */
  max: string | null;
  /** The value set: the higher of the counter and max + 1. */
  next: string;
}

export type SwapResult =
  /** Found done (a resumed job): the side table is gone and the old table is there. */
  | { alreadySwapped: true }
  | {
      alreadySwapped: false;
      /** Production's own foreign keys re-added to the side table before the swap (their names there). */
      foreignKeysAdded: string[];
      /** Rows of the table swapped in, and of the old one kept as `beforeTable`. */
      rows: { swappedIn: number; kept: number };
      /** Null when the table has no AUTO_INCREMENT column. */
      autoIncrement: RaisedAutoIncrement | null;
    };

/**
 * Swaps the side table in atomically (`RENAME TABLE t TO before, side TO t`), the old content kept
 * as `beforeTable`. Refused (nothing changed) when other tables' foreign keys point at the table or
 * it has triggers (a rename leaves them on the old table), or when the restored rows no longer
 * satisfy the table's own foreign keys, which are re-added to the side table first. New rows must
 * never take an id of a row created after the restore point (those stay in the old table, and
 * other systems may reference them): the side table's AUTO_INCREMENT goes above production's just
 * before the swap, and again from the old table just after it (a row written in between is there).
 */
export async function swapInRestoredTable(
  pool: Pool,
  restored: RestoredTable & { beforeTable: string },
): Promise<SwapResult> {
  const { schema, table, sideTable, beforeTable } = restored;
  if (
    (await tableExists(pool, schema, beforeTable)) &&
    !(await tableExists(pool, schema, sideTable))
  )
    return { alreadySwapped: true };
  const deps = await readTableDependencies(pool, schema, table);
  const obstacle = replaceObstacle(deps, schema, table);
  if (obstacle) throw refused(`${obstacle} Nothing was changed.`);
  const foreignKeysAdded: string[] = [];
  if (deps.references.length > 0) {
    const sideDeps = await readTableDependencies(pool, schema, sideTable);
    if (sideDeps.references.length === 0) {
      try {
        await pool.query(
          `ALTER TABLE ${qualifiedTable(schema, sideTable)} ${deps.references.map(addForeignKeySql).join(', ')}`,
        );
      } catch (error) {
        throw refused(
          `the restored rows do not satisfy ${table}'s foreign keys today (${(error as Error).message}), so the swap was not made; production is unchanged. Use --mode merge, or fix the parents and swap \`${sideTable}\` by hand.`,
          error,
        );
      }
      foreignKeysAdded.push(...deps.references.map((k) => k.name));
    }
  }
  const raised = await raiseAutoIncrement(pool, schema, table, sideTable);
  await pool.query(
    `RENAME TABLE ${qualifiedTable(schema, table)} TO ${qualifiedTable(schema, beforeTable)}, ${qualifiedTable(schema, sideTable)} TO ${qualifiedTable(schema, table)}`,
  );
  const autoIncrement =
    raised && ((await raiseAutoIncrement(pool, schema, beforeTable, table)) ?? raised);
  const [[count]] = await pool.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM ${qualifiedTable(schema, table)}) AS swapped_in, (SELECT COUNT(*) FROM ${qualifiedTable(schema, beforeTable)}) AS kept`,
  );
  return {
    alreadySwapped: false,
    foreignKeysAdded,
    rows: { swappedIn: Number(count!.swapped_in), kept: Number(count!.kept) },
    autoIncrement,
  };
}

/**
 * Sets `target`'s AUTO_INCREMENT to the higher of `from`'s counter and MAX(column)+1, read now;
 * null when the table has no AUTO_INCREMENT column. InnoDB never sets it below target's own rows.
 */
async function raiseAutoIncrement(
  pool: Pool,
  schema: string,
  from: string,
  target: string,
): Promise<RaisedAutoIncrement | null> {
  const shape = await readTableShape(pool, schema, from);
  const column = shape.columns.find((c) => c.autoIncrement)?.name;
  if (column === undefined) return null;
  const [[created]] = await pool.query<RowDataPacket[]>(
    `SHOW CREATE TABLE ${qualifiedTable(schema, from)}`,
  );
  const counter = /\bAUTO_INCREMENT=(\d+)/.exec(String(created!['Create Table']))?.[1] ?? '1';
  const [[top]] = await pool.query<RowDataPacket[]>(
    `SELECT MAX(${quoteIdentifier(column)}) AS max FROM ${qualifiedTable(schema, from)}`,
  );
  const max = top!.max === null ? null : String(top!.max);
  const next = BigInt(max ?? 0) + 1n > BigInt(counter) ? BigInt(max ?? 0) + 1n : BigInt(counter);
  await pool.query(`ALTER TABLE ${qualifiedTable(schema, target)} AUTO_INCREMENT = ${next}`);
  return { column, counter, max, next: String(next) };
}

/** Whether `schema.table` exists (a base table or a view). */
export async function tableExists(pool: Pool, schema: string, table: string): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  return rows.length > 0;
}

function addForeignKeySql(key: ForeignKey): string {
  const list = (names: string[]) => names.map(quoteIdentifier).join(', ');
  return `ADD FOREIGN KEY (${list(key.columns)}) REFERENCES ${qualifiedTable(key.referencedSchema, key.referencedTable)} (${list(key.referencedColumns)}) ON DELETE ${ruleSql(key.onDelete)} ON UPDATE ${ruleSql(key.onUpdate)}`;
}

function ruleSql(rule: string): string {
  const known = ['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT'];
  if (!known.includes(rule)) throw refused(`unexpected foreign key rule ${JSON.stringify(rule)}`);
  return rule;
}
