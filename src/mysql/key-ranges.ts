import type { Pool, RowDataPacket } from 'mysql2/promise';
import { exactTypeCast, type CopyValue } from './copy-session';
import { qualifiedTable, quoteIdentifier } from './sql-identifier';
import type { TableColumn, TableKey, TableShape } from './table-shape';

/**
 * One slice of a table in key order: the rows whose key is greater than `after` (or from the
 * start) and at most `upTo` (or to the end). Consecutive ranges share their bound, so the ranges
 * of a plan cover the whole key space once each, whatever rows exist.
 */
export interface KeyRange {
  index: number;
  after: CopyValue[] | null;
  upTo: CopyValue[] | null;
}

/** Ranges from sorted, distinct boundaries: (start, b1], (b1, b2], ..., (bn, end). */
export function rangesFromBoundaries(boundaries: CopyValue[][]): KeyRange[] {
  const bounds = [null, ...boundaries, null];
  return bounds.slice(1).map((upTo, index) => ({ index, after: bounds[index] ?? null, upTo }));
}

/** Up to `count - 1` boundaries that cut [min, max] into `count` near-equal integer spans. */
export function splitIntegerRange(min: bigint, max: bigint, count: number): bigint[] {
  const span = max - min + 1n;
  const boundaries: bigint[] = [];
  for (let i = 1; i < count; i++) {
    const boundary = min + (span * BigInt(i)) / BigInt(count) - 1n;
    if (boundary >= min && boundary < max && boundary !== boundaries[boundaries.length - 1])
      boundaries.push(boundary);
  }
  return boundaries;
}

/** A key value as a query parameter: integers as BigInt, so they compare exactly. */
function keyParam(column: TableColumn, value: CopyValue): unknown {
  return column.integer && typeof value === 'string' ? BigInt(value) : value;
}

/**
 * SQL for `key > values` (op '>') or `key <= values` (op '<='), spelled as ORs of equal prefixes
 * (`a > ? OR (a = ? AND b > ?)`), a form every MySQL and MariaDB range optimizer turns into an
 * index range.
 */
export function keyComparison(
  columns: TableColumn[],
  op: '>' | '<=',
  values: CopyValue[],
): { sql: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  const strict = op === '>' ? '>' : '<';
  columns.forEach((column, i) => {
    const parts = columns.slice(0, i).map((prefix) => `${quoteIdentifier(prefix.name)} = ?`);
    parts.push(`${quoteIdentifier(column.name)} ${strict} ?`);
    terms.push(`(${parts.join(' AND ')})`);
    columns.slice(0, i + 1).forEach((c, j) => params.push(keyParam(c, values[j] ?? null)));
  });
  if (op === '<=') {
    terms.push(`(${columns.map((c) => `${quoteIdentifier(c.name)} = ?`).join(' AND ')})`);
    columns.forEach((c, j) => params.push(keyParam(c, values[j] ?? null)));
  }
  return { sql: `(${terms.join(' OR ')})`, params };
}

/** The WHERE condition (never empty) selecting one range's rows. */
export function rangeCondition(key: TableKey, range: KeyRange): { sql: string; params: unknown[] } {
  const parts = [
    ...(range.after === null ? [] : [keyComparison(key.columns, '>', range.after)]),
    ...(range.upTo === null ? [] : [keyComparison(key.columns, '<=', range.upTo)]),
  ];
  if (parts.length === 0) return { sql: 'TRUE', params: [] };
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

/**
 * Splits a table into up to `count` key ranges for a parallel copy. A single integer key is cut by
 * value between MIN and MAX (two index lookups); any other key by walking the key in steps of
 * `estimatedRows / count` rows with keyset pagination (one index scan in all). A table without a
 * usable key is one range. The plan is deterministic for unchanged data, so a resumed copy of the
 * same source gets the same ranges.
 */
export async function planKeyRanges(
  pool: Pool,
  shape: TableShape,
  count: number,
): Promise<KeyRange[]> {
  const key = shape.key;
  if (key === null || count <= 1) return rangesFromBoundaries([]);
  const table = qualifiedTable(shape.database, shape.table);
  const [first] = key.columns;
  if (key.columns.length === 1 && first?.integer) {
    const column = quoteIdentifier(first.name);
    const [rows] = await pool.query<RowDataPacket[]>(
      `SELECT CAST(MIN(${column}) AS CHAR) AS min, CAST(MAX(${column}) AS CHAR) AS max FROM ${table}`,
    );
    const bounds = rows[0];
    if (bounds === undefined || bounds.min === null) return rangesFromBoundaries([]);
    return rangesFromBoundaries(
      splitIntegerRange(BigInt(bounds.min), BigInt(bounds.max), count).map((b) => [b.toString()]),
    );
  }
  const step = Math.ceil(shape.estimatedRows / count);
  if (step < 1) return rangesFromBoundaries([]);
  const keyList = key.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const boundaries: CopyValue[][] = [];
  while (boundaries.length < count - 1) {
    const last = boundaries[boundaries.length - 1];
    const after = last === undefined ? null : keyComparison(key.columns, '>', last);
    const [rows] = await pool.query<RowDataPacket[]>({
      sql: `SELECT ${keyList} FROM ${table} ${after ? `WHERE ${after.sql}` : ''}
             ORDER BY ${keyList} LIMIT 1 OFFSET ${step - 1}`,
      values: after?.params ?? [],
      typeCast: exactTypeCast(key.columns),
    });
    const row = rows[0];
    if (row === undefined) break;
    boundaries.push(key.columns.map((c) => row[c.name] as CopyValue));
  }
  return rangesFromBoundaries(boundaries);
}
