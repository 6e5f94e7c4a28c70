import type { Pool } from 'mysql2/promise';
import {
  batchLimits,
  chooseMethod,
  copyRange,
  type CopyMethod,
  type RangeCopier,
} from './copy-range';
import { planKeyRanges, type KeyRange } from './key-ranges';
import { createSideTable, showCreateTable, sideTableDefinition } from './side-table';
import { checkIdentifier, qualifiedTable } from './sql-identifier';
import { StoppableStatements, stopOnAbort } from './stop-statements';
import { addDeferredIndexes, deferSecondaryIndexes, type DeferredIndex } from './table-definition';
import { readTableShape, type TableShape } from './table-shape';

export interface TableRef {
  database: string;
  table: string;
}

export interface CopyProgress {
  /** `indexing` once every row is in and the deferred secondary indexes are being built. */
  phase: 'copying' | 'indexing';
  rows: number;
  /** The source's row estimate, raised to `rows` if the estimate was low. */
  estimatedRows: number;
  /** 0-100; exactly 100 only once the copy is complete. */
  percent: number;
  rangesDone: number;
  rangesTotal: number;
  elapsedMs: number;
  /** From the rate so far; null until some rows are copied. */
  etaMs: number | null;
}

export interface CopyTableOptions {
  /** Read only: the engine runs SELECTs and SHOW CREATE TABLE on it, nothing else. */
  source: Pool;
  /** The engine creates `to` here and writes nothing else. Each pool needs `parallelism` connections. */
  destination: Pool;
  from: TableRef;
  /** The side table, see sideTableName(). Created from `from`'s definition; must not exist. */
  to: TableRef;
  /** Connections per side copying ranges at once (default 4). */
  parallelism?: number;
  /** Key ranges to cut the table into (default 4 per connection: balance and finer checkpoints). */
  rangeCount?: number;
  /**
   * How rows are written: `load-data` streams them with LOAD DATA LOCAL INFILE (no SQL text to
   * build or parse per value; needs local_infile ON on the destination), `insert` with multi-row
   * INSERTs; `auto` (default) takes load-data when the destination allows it.
   */
  method?: 'auto' | CopyMethod;
  /**
   * Bytes per statement, each its own transaction: per INSERT (default 4 MiB, capped at half the
   * destination's max_allowed_packet) or per LOAD DATA (default 16 MiB).
   */
  batchBytes?: number;
  /** Rows per statement: per INSERT (default 10,000) or per LOAD DATA (default 50,000). */
  batchRows?: number;
  /**
   * Resume an interrupted copy of the same, unchanged source into the existing side table: the
   * ranges listed are skipped, every other range is emptied in the side table and copied again.
   * The plan is recomputed with the same options, so pass the same parallelism and rangeCount.
   */
  resume?: { doneRanges: number[] };
  onProgress?: (progress: CopyProgress) => void;
  /** Called when a range is committed in the side table: record `range.index` to resume. */
  onRangeDone?: (range: KeyRange, rows: number) => void | Promise<void>;
  /**
   * Cancel or step timeout: no statement starts once it aborts, those running are stopped with
   * KILL QUERY (each rolled back), and the copy rejects with its reason once they have ended.
   */
  signal?: AbortSignal;
  /** After an abort stopped the copy: the server threads whose statements were killed. */
  onStopped?: (killedThreads: readonly number[]) => void;
}

export type { CopyMethod } from './copy-range';

export interface CopyResult {
  shape: TableShape;
  method: CopyMethod;
  ranges: KeyRange[];
  /** Rows copied by this run (a resumed run does not count the ranges it skipped). */
  rows: number;
  durationMs: number;
}

/**
 * Copies a table into a new side table, in parallel key ranges, with memory bounded by the batch
 * size: each range is one streamed SELECT in key order, whose rows are written as they arrive
 * (the source socket pauses while the destination is behind) by LOAD DATA LOCAL INFILE statements
 * or multi-row INSERTs, each cut by bytes and rows. Only insertable columns are written (generated
 * ones are recomputed by the server). A table without a usable key is one range. The side table is
 * created without its secondary indexes, which are added in one ALTER TABLE after the last row
 * (also by a resumed copy that finds them missing).
 */
export async function copyTable(options: CopyTableOptions): Promise<CopyResult> {
  const started = Date.now();
  const parallelism = Math.max(1, options.parallelism ?? 4);
  for (const name of [
    options.from.database,
    options.from.table,
    options.to.database,
    options.to.table,
  ])
    checkIdentifier(name);
  options.signal?.throwIfAborted();
  const shape = await readTableShape(options.source, options.from.database, options.from.table);
  const sideTable = qualifiedTable(options.to.database, options.to.table);
  const method = await chooseMethod(options.destination, options.method ?? 'auto');
  const keep = {
    key: shape.key?.name ?? null,
    autoIncrementColumn: shape.columns.find((c) => c.autoIncrement)?.name ?? null,
  };
  let deferred: DeferredIndex[];
  if (options.resume === undefined)
    deferred = await createSideTable(
      options.source,
      options.destination,
      options.from,
      options.to,
      keep,
    );
  else {
    await readTableShape(options.destination, options.to.database, options.to.table);
    const definition = sideTableDefinition(
      await showCreateTable(options.source, options.from),
      options.to.database,
      options.to.table,
    );
    deferred = deferSecondaryIndexes(definition, keep).deferred;
  }

  const ranges = await planKeyRanges(options.source, shape, options.rangeCount ?? parallelism * 4);
  const skipped = new Set(options.resume?.doneRanges ?? []);
  const pending = ranges.filter((range) => !skipped.has(range.index));
  const limits = await batchLimits(options.destination, method, options);

  const abort = new AbortController();
  const stop = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  const statements = new StoppableStatements(options.destination);
  let rows = 0;
  let rangesDone = ranges.length - pending.length;
  let phase: CopyProgress['phase'] = 'copying';
  const report = (complete = false) => {
    const elapsedMs = Date.now() - started;
    const estimatedRows = Math.max(shape.estimatedRows, rows);
    const fraction = estimatedRows === 0 ? 0 : rows / estimatedRows;
    options.onProgress?.({
      phase,
      rows,
      estimatedRows: complete ? rows : estimatedRows,
      percent: complete ? 100 : Math.min(99.9, Math.floor(fraction * 1000) / 10),
      rangesDone,
      rangesTotal: ranges.length,
      elapsedMs,
      etaMs: complete
        ? 0
        : rows === 0
          ? null
          : Math.round((elapsedMs / rows) * (estimatedRows - rows)),
    });
  };

  const copier: RangeCopier = {
    source: options.source,
    destination: options.destination,
    shape,
    target: sideTable,
    method,
    ...limits,
    emptyFirst: options.resume !== undefined,
    signal: abort.signal,
    statements,
    onRows: (count) => {
      rows += count;
      report();
    },
  };
  const worker = async () => {
    for (let range = pending.shift(); range !== undefined; range = pending.shift()) {
      abort.signal.throwIfAborted();
      const copied = await copyRange(copier, range);
      rangesDone += 1;
      await options.onRangeDone?.(range, copied);
    }
  };
  try {
    // A failed worker aborts too: the others' statements are killed, the copy fails with its error.
    await stopOnAbort(abort.signal, statements, async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: Math.min(parallelism, pending.length) }, () =>
          worker().catch((error: unknown) => {
            abort.abort(error);
            throw error;
          }),
        ),
      );
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failure) throw failure.reason;
      abort.signal.throwIfAborted();
      phase = 'indexing';
      report();
      const conn = await options.destination.getConnection();
      const uncount = statements.add(conn);
      try {
        await addDeferredIndexes(conn, options.to, deferred);
      } catch (error) {
        conn.destroy();
        throw error;
      } finally {
        uncount();
      }
      conn.release();
    });
  } catch (error) {
    if (options.signal?.aborted) options.onStopped?.(statements.killed);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  report(true);
  return { shape, method, ranges, rows, durationMs: Date.now() - started };
}
