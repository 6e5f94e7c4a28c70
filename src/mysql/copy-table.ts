import type { Connection as CallbackConnection } from 'mysql2';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { exactTypeCast, openCopySession, type CopyValue } from './copy-session';
import { planKeyRanges, rangeCondition, type KeyRange } from './key-ranges';
import { createSideTable } from './side-table';
import { checkIdentifier, qualifiedTable, quoteIdentifier } from './sql-identifier';
import { readTableShape, type TableShape } from './table-shape';

export interface TableRef {
  database: string;
  table: string;
}

export interface CopyProgress {
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
  /** Bytes per INSERT (default 4 MiB), capped at half the destination's max_allowed_packet. */
  batchBytes?: number;
  /** Rows per INSERT (default 1000). */
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
  signal?: AbortSignal;
}

export interface CopyResult {
  shape: TableShape;
  ranges: KeyRange[];
  /** Rows copied by this run (a resumed run does not count the ranges it skipped). */
  rows: number;
  durationMs: number;
}

const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Copies a table into a new side table, in parallel key ranges, with memory bounded by the batch
 * size: each range is one streamed SELECT in key order (the stream pauses the socket while an
 * INSERT runs), written as multi-row INSERTs cut by bytes and rows. Only insertable columns are
 * written (generated ones are recomputed by the server). A table without a usable key is one range.
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
  const shape = await readTableShape(options.source, options.from.database, options.from.table);
  const sideTable = qualifiedTable(options.to.database, options.to.table);
  if (options.resume === undefined)
    await createSideTable(options.source, options.destination, options.from, options.to);
  else await readTableShape(options.destination, options.to.database, options.to.table);

  const ranges = await planKeyRanges(options.source, shape, options.rangeCount ?? parallelism * 4);
  const skipped = new Set(options.resume?.doneRanges ?? []);
  const pending = ranges.filter((range) => !skipped.has(range.index));
  const batchBytes = Math.min(
    options.batchBytes ?? DEFAULT_BATCH_BYTES,
    (await maxAllowedPacket(options.destination)) / 2,
  );

  const abort = new AbortController();
  const stop = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  let rows = 0;
  let rangesDone = ranges.length - pending.length;
  const report = (complete = false) => {
    const elapsedMs = Date.now() - started;
    const estimatedRows = Math.max(shape.estimatedRows, rows);
    const fraction = estimatedRows === 0 ? 0 : rows / estimatedRows;
    options.onProgress?.({
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
    options,
    shape,
    sideTable,
    batchBytes,
    batchRows: options.batchRows ?? 1000,
    signal: abort.signal,
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
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(parallelism, pending.length) }, () =>
      worker().catch((error: unknown) => {
        abort.abort(error);
        throw error;
      }),
    ),
  );
  options.signal?.removeEventListener('abort', stop);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  report(true);
  return { shape, ranges, rows, durationMs: Date.now() - started };
}

interface RangeCopier {
  options: CopyTableOptions;
  shape: TableShape;
  sideTable: string;
  batchBytes: number;
  batchRows: number;
  signal: AbortSignal;
  onRows: (count: number) => void;
}

/** Copies one range on its own pair of connections; returns the rows it wrote. */
async function copyRange(copier: RangeCopier, range: KeyRange): Promise<number> {
  const { shape, options } = copier;
  const source = await openCopySession(options.source, 'source');
  let destination: Awaited<ReturnType<typeof openCopySession>>;
  try {
    destination = await openCopySession(options.destination, 'destination');
  } catch (error) {
    source.conn.destroy();
    throw error;
  }
  try {
    const condition = shape.key
      ? rangeCondition(shape.key, range)
      : { sql: 'TRUE', params: [] as unknown[] };
    if (options.resume !== undefined)
      await destination.conn.query(
        `DELETE FROM ${copier.sideTable} WHERE ${condition.sql}`,
        condition.params,
      );
    const copied = await streamRange(copier, source.conn, destination.conn, condition);
    await Promise.all([source.release(), destination.release()]);
    return copied;
  } catch (error) {
    source.conn.destroy();
    destination.conn.destroy();
    throw error;
  }
}

async function streamRange(
  copier: RangeCopier,
  source: PoolConnection,
  destination: PoolConnection,
  condition: { sql: string; params: unknown[] },
): Promise<number> {
  const { shape } = copier;
  const keyNames = shape.key?.columns.map((c) => c.name) ?? [];
  // Key columns are read even when generated (a STORED generated key), so ranges stay exact.
  const readColumns = [
    ...shape.insertable,
    ...(shape.key?.columns.filter((c) => c.generated) ?? []),
  ];
  const orderBy = keyNames.length ? `ORDER BY ${keyNames.map(quoteIdentifier).join(', ')}` : '';
  const select = `SELECT ${readColumns.map((c) => quoteIdentifier(c.name)).join(', ')}
    FROM ${qualifiedTable(shape.database, shape.table)} WHERE ${condition.sql} ${orderBy}`;
  const insertInto = `INSERT INTO ${copier.sideTable} (${shape.insertable
    .map((c) => quoteIdentifier(c.name))
    .join(', ')}) VALUES `;
  const rowPlaceholders = `(${shape.insertable.map(() => '?').join(', ')})`;

  const core = source.connection as unknown as CallbackConnection;
  const stream = core
    .query({ sql: select, values: condition.params, typeCast: exactTypeCast(readColumns) })
    .stream({ highWaterMark: 64 });
  let batch: CopyValue[][] = [];
  let bytes = 0;
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    copier.signal.throwIfAborted();
    await destination.query(insertInto + batch.map(() => rowPlaceholders).join(', '), batch.flat());
    copied += batch.length;
    copier.onRows(batch.length);
    batch = [];
    bytes = 0;
  };
  try {
    for await (const row of stream as AsyncIterable<RowDataPacket>) {
      const values = shape.insertable.map((c) => row[c.name] as CopyValue);
      batch.push(values);
      bytes += values.reduce((sum, value) => sum + sqlBytes(value), 0);
      if (bytes >= copier.batchBytes || batch.length >= copier.batchRows) await flush();
    }
    await flush();
  } finally {
    stream.destroy();
  }
  return copied;
}

/** An upper bound of a value's size in the INSERT text, before escaping doubles quotes. */
function sqlBytes(value: CopyValue): number {
  if (value === null) return 5;
  if (Buffer.isBuffer(value)) return value.length * 2 + 4;
  return Buffer.byteLength(value) + 4;
}

async function maxAllowedPacket(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT @@max_allowed_packet AS bytes');
  return Number(rows[0]?.bytes);
}
