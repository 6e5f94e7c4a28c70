import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Connection as CallbackConnection } from 'mysql2';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { exactTypeCast, openCopySession, type CopyValue } from './copy-session';
import { planKeyRanges, rangeCondition, type KeyRange } from './key-ranges';
import { LOAD_CHUNK_BYTES, LoadDataEncoder, loadDataSql } from './load-data';
import {
  addDeferredIndexes,
  createSideTable,
  deferSecondaryIndexes,
  showCreateTable,
  sideTableDefinition,
  type DeferredIndex,
} from './side-table';
import { checkIdentifier, qualifiedTable, quoteIdentifier } from './sql-identifier';
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
  /** Rows per statement: per INSERT (default 1000) or per LOAD DATA (default 50,000). */
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

export type CopyMethod = 'load-data' | 'insert';

export interface CopyResult {
  shape: TableShape;
  method: CopyMethod;
  ranges: KeyRange[];
  /** Rows copied by this run (a resumed run does not count the ranges it skipped). */
  rows: number;
  durationMs: number;
}

const BATCH_DEFAULTS: Record<CopyMethod, { bytes: number; rows: number }> = {
  insert: { bytes: 4 * 1024 * 1024, rows: 1000 },
  'load-data': { bytes: 16 * 1024 * 1024, rows: 50_000 },
};

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
  const batchBytes =
    method === 'insert'
      ? Math.min(
          options.batchBytes ?? BATCH_DEFAULTS.insert.bytes,
          (await maxAllowedPacket(options.destination)) / 2,
        )
      : (options.batchBytes ?? BATCH_DEFAULTS[method].bytes);

  const abort = new AbortController();
  const stop = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
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
    options,
    shape,
    sideTable,
    method,
    batchBytes,
    batchRows: options.batchRows ?? BATCH_DEFAULTS[method].rows,
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
  options.signal?.throwIfAborted();
  phase = 'indexing';
  report();
  await addDeferredIndexes(options.destination, options.to, deferred);
  report(true);
  return { shape, method, ranges, rows, durationMs: Date.now() - started };
}

/** `auto` is load-data when the destination server has local_infile on, else insert. */
async function chooseMethod(destination: Pool, asked: 'auto' | CopyMethod): Promise<CopyMethod> {
  if (asked === 'insert') return 'insert';
  const [rows] = await destination.query<RowDataPacket[]>('SELECT @@local_infile AS allowed');
  const allowed = Number(rows[0]?.allowed) === 1;
  if (allowed) return 'load-data';
  if (asked === 'auto') return 'insert';
  throw new OpsdeckError(
    ErrorCode.MysqlLoadDataRefused,
    'the copy asked for LOAD DATA LOCAL INFILE but the destination has local_infile OFF',
  );
}

interface RangeCopier {
  options: CopyTableOptions;
  shape: TableShape;
  sideTable: string;
  method: CopyMethod;
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
    const copied = await (copier.method === 'load-data' ? loadRange : insertRange)(
      copier,
      source.conn,
      destination.conn,
      condition,
    );
    await Promise.all([source.release(), destination.release()]);
    return copied;
  } catch (error) {
    source.conn.destroy();
    destination.conn.destroy();
    throw error;
  }
}

/**
 * The range's SELECT in key order. Key columns are read even when generated (a STORED generated
 * key), after the insertable ones, so ranges stay exact.
 */
function rangeSelect(shape: TableShape, condition: { sql: string }) {
  const keyNames = shape.key?.columns.map((c) => c.name) ?? [];
  const readColumns = [
    ...shape.insertable,
    ...(shape.key?.columns.filter((c) => c.generated) ?? []),
  ];
  const orderBy = keyNames.length ? `ORDER BY ${keyNames.map(quoteIdentifier).join(', ')}` : '';
  const sql = `SELECT ${readColumns.map((c) => quoteIdentifier(c.name)).join(', ')}
    FROM ${qualifiedTable(shape.database, shape.table)} WHERE ${condition.sql} ${orderBy}`;
  return { sql, readColumns };
}

/** The rows of a range as the text protocol's raw bytes, in arrays, streamed. */
const STREAM_ROWS = 64;

/**
 * Writes a range with LOAD DATA LOCAL INFILE statements fed from the SELECT as rows arrive: one
 * statement per batch (bytes, rows), each checked to have stored every row sent (LOCAL turns
 * errors such as duplicate keys into skipped rows and warnings, so a count is the only signal).
 * On any failure the caller destroys the connection mid-statement, which rolls the statement back.
 */
async function loadRange(
  copier: RangeCopier,
  source: PoolConnection,
  destination: PoolConnection,
  condition: { sql: string; params: unknown[] },
): Promise<number> {
  const { shape } = copier;
  const { sql } = rangeSelect(shape, condition);
  const statement = loadDataSql(copier.sideTable, shape.insertable);
  const encoder = new LoadDataEncoder(shape.insertable.map((c) => c.binary));
  const core = source.connection as unknown as CallbackConnection;
  const stream = core
    .query({ sql, values: condition.params, typeCast: false, rowsAsArray: true })
    .stream({ highWaterMark: STREAM_ROWS });
  let load: {
    input: PassThrough;
    failed: Promise<never>;
    done: Promise<unknown>;
    rows: number;
    bytes: number;
  } | null = null;
  let copied = 0;
  const start = () => {
    const input = new PassThrough();
    const done = destination.query<ResultSetHeader>({
      sql: statement,
      infileStreamFactory: () => input,
    });
    const failed = done.then(() => new Promise<never>(() => {}));
    failed.catch(() => {});
    return { input, done, failed, rows: 0, bytes: 0 };
  };
  const send = async (current: NonNullable<typeof load>) => {
    for (const piece of encoder.take()) {
      current.bytes += piece.length;
      if (!current.input.write(piece))
        await Promise.race([once(current.input, 'drain'), current.failed]);
    }
  };
  const finish = async (current: NonNullable<typeof load>) => {
    await send(current);
    current.input.end();
    const [result] = (await current.done) as [ResultSetHeader];
    if (result.affectedRows !== current.rows)
      throw new OpsdeckError(
        ErrorCode.MysqlCopyRowsLost,
        `LOAD DATA into ${copier.sideTable} stored ${result.affectedRows} of ${current.rows} rows (duplicate keys or values the column refused)`,
      );
    copied += current.rows;
    copier.onRows(current.rows);
  };
  try {
    for await (const row of stream as AsyncIterable<(Buffer | null)[]>) {
      if (load === null) {
        copier.signal.throwIfAborted();
        load = start();
      }
      encoder.add(row);
      load.rows += 1;
      if (encoder.length >= LOAD_CHUNK_BYTES) {
        copier.signal.throwIfAborted();
        await send(load);
      }
      if (load.rows >= copier.batchRows || load.bytes + encoder.length >= copier.batchBytes) {
        await finish(load);
        load = null;
      }
    }
    if (load !== null) await finish(load);
  } finally {
    stream.destroy();
  }
  return copied;
}

/** Writes a range as multi-row INSERTs, each awaited before more rows are read. */
async function insertRange(
  copier: RangeCopier,
  source: PoolConnection,
  destination: PoolConnection,
  condition: { sql: string; params: unknown[] },
): Promise<number> {
  const { shape } = copier;
  const { sql: select, readColumns } = rangeSelect(shape, condition);
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
