import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Connection as CallbackConnection } from 'mysql2';
import {
  raw,
  type Pool,
  type PoolConnection,
  type ResultSetHeader,
  type RowDataPacket,
} from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { openCopySession } from './copy-session';
import { rangeCondition, type KeyRange } from './key-ranges';
import { InsertValuesEncoder } from './insert-values';
import { LOAD_CHUNK_BYTES, LoadDataEncoder, loadDataSql } from './load-data';
import { qualifiedTable, quoteIdentifier } from './sql-identifier';
import type { StoppableStatements } from './stop-statements';
import type { TableShape } from './table-shape';

/**
 * How rows are written: `load-data` streams them with LOAD DATA LOCAL INFILE (no SQL text to build
 * or parse per value; needs local_infile ON on the destination), `insert` with multi-row INSERTs.
 */
export type CopyMethod = 'load-data' | 'insert';

const BATCH_DEFAULTS: Record<CopyMethod, { bytes: number; rows: number }> = {
  insert: { bytes: 4 * 1024 * 1024, rows: 10_000 },
  'load-data': { bytes: 16 * 1024 * 1024, rows: 50_000 },
};

/** `auto` is load-data when the destination server has local_infile on, else insert. */
export async function chooseMethod(
  destination: Pool,
  asked: 'auto' | CopyMethod,
): Promise<CopyMethod> {
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

/**
 * Bytes and rows per statement, each statement its own transaction: per INSERT (default 4 MiB,
 * capped at half the destination's max_allowed_packet, and 10,000 rows) or per LOAD DATA (default
 * 16 MiB and 50,000 rows).
 */
export async function batchLimits(
  destination: Pool,
  method: CopyMethod,
  asked: { batchBytes?: number; batchRows?: number },
): Promise<{ batchBytes: number; batchRows: number }> {
  const batchBytes =
    method === 'insert'
      ? Math.min(
          asked.batchBytes ?? BATCH_DEFAULTS.insert.bytes,
          (await maxAllowedPacket(destination)) / 2,
        )
      : (asked.batchBytes ?? BATCH_DEFAULTS[method].bytes);
  return { batchBytes, batchRows: asked.batchRows ?? BATCH_DEFAULTS[method].rows };
}

/** Everything a range copy needs: where rows come from and go, how they are written. */
export interface RangeCopier {
  source: Pool;
  destination: Pool;
  /** The source table's shape: its key cuts the ranges, its insertable columns are written. */
  shape: TableShape;
  /** The destination table, qualified and quoted. */
  target: string;
  method: CopyMethod;
  batchBytes: number;
  batchRows: number;
  /** Delete the range's rows from the target first: a resumed copy redoes unfinished ranges. */
  emptyFirst: boolean;
  /** Checked before each statement: none starts once it aborts. */
  signal: AbortSignal;
  /** The destination connections, counted while they copy: an abort kills their statements. */
  statements: StoppableStatements;
  /** Called after every committed statement with the rows it stored. */
  onRows: (count: number) => void;
}

/** Copies one range on its own pair of connections; returns the rows it wrote. */
export async function copyRange(copier: RangeCopier, range: KeyRange): Promise<number> {
  const { shape } = copier;
  const source = await openCopySession(copier.source, 'source');
  let destination: Awaited<ReturnType<typeof openCopySession>>;
  try {
    destination = await openCopySession(copier.destination, 'destination');
  } catch (error) {
    source.conn.destroy();
    throw error;
  }
  const uncount = copier.statements.add(destination.conn);
  try {
    copier.signal.throwIfAborted();
    const condition = shape.key
      ? rangeCondition(shape.key, range)
      : { sql: 'TRUE', params: [] as unknown[] };
    if (copier.emptyFirst)
      await destination.conn.query(
        `DELETE FROM ${copier.target} WHERE ${condition.sql}`,
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
  } finally {
    uncount();
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
  return { sql };
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
  const statement = loadDataSql(copier.target, shape.insertable);
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
        `LOAD DATA into ${copier.target} stored ${result.affectedRows} of ${current.rows} rows (duplicate keys or values the column refused)`,
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

/**
 * Writes a range as multi-row INSERTs built from the SELECT's raw bytes (see InsertValuesEncoder),
 * one in flight while the next is read and built: the destination executes a statement while the
 * source streams the rows of the next.
 */
async function insertRange(
  copier: RangeCopier,
  source: PoolConnection,
  destination: PoolConnection,
  condition: { sql: string; params: unknown[] },
): Promise<number> {
  const { shape } = copier;
  const { sql: select } = rangeSelect(shape, condition);
  const insertInto = `INSERT INTO ${copier.target} (${shape.insertable
    .map((c) => quoteIdentifier(c.name))
    .join(', ')}) VALUES `;
  const insertBytes = Buffer.byteLength(insertInto);
  const encoder = new InsertValuesEncoder(
    shape.insertable.map((c) => c.binary),
    Math.min(copier.batchBytes, LOAD_CHUNK_BYTES) + 1024,
  );
  const core = source.connection as unknown as CallbackConnection;
  const stream = core
    .query({ sql: select, values: condition.params, typeCast: false, rowsAsArray: true })
    .stream({ highWaterMark: STREAM_ROWS });
  let inFlight: Promise<void> = Promise.resolve();
  let copied = 0;
  const flush = async () => {
    if (encoder.rows === 0) return;
    copier.signal.throwIfAborted();
    const rows = encoder.rows;
    const values = raw(encoder.take());
    await inFlight;
    inFlight = destination.query(`${insertInto}?`, [values]).then(() => {
      copied += rows;
      copier.onRows(rows);
    });
    inFlight.catch(() => {});
  };
  try {
    for await (const row of stream as AsyncIterable<(Buffer | null)[]>) {
      encoder.add(row);
      if (insertBytes + encoder.length >= copier.batchBytes || encoder.rows >= copier.batchRows)
        await flush();
    }
    await flush();
    await inFlight;
  } finally {
    stream.destroy();
  }
  return copied;
}

async function maxAllowedPacket(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT @@max_allowed_packet AS bytes');
  return Number(rows[0]?.bytes);
}
