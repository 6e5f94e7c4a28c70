import type { Pool, RowDataPacket } from 'mysql2/promise';
import { openCopySession } from './copy-session';
import { qualifiedTable, quoteIdentifier } from './sql-identifier';
import type { TableColumn } from './table-shape';
import type { TableRef } from './copy-table';

export interface TableChecksum {
  rows: number;
  /** Two exact sums of 64-bit halves of every row's MD5, as decimal text: `<sum1>-<sum2>`. */
  checksum: string;
}

/**
 * SQL for the MD5 of one row's values, exact and NULL-safe: each value as its bytes prefixed with
 * their length (`5:hello`), NULL as `-`, so no two different rows encode alike (CONCAT_WS would
 * skip NULLs, and a separator can occur inside a value). `alias` qualifies the columns in a join.
 */
export function rowDigestSql(columns: TableColumn[], alias?: string): string {
  const parts = columns.map((column) => {
    const name = `${alias ? `${quoteIdentifier(alias)}.` : ''}${quoteIdentifier(column.name)}`;
    const bytes = `CAST(${name} AS BINARY)`;
    return `COALESCE(CONCAT(LENGTH(${bytes}), ':', ${bytes}), '-')`;
  });
  return `MD5(CONCAT(${parts.join(', ')}))`;
}

/**
 * Row count and an order-independent content checksum of a table over `columns`, in one scan on
 * the server. Sums (not XOR) of the digests: duplicate rows in a keyless table do not cancel out.
 * Runs in a UTC session, so TIMESTAMPs read alike on servers with different time zones.
 */
export async function tableChecksum(
  pool: Pool,
  table: TableRef,
  columns: TableColumn[],
): Promise<TableChecksum> {
  const half = (start: number) =>
    `CAST(COALESCE(SUM(CAST(CONV(SUBSTRING(digest, ${start}, 16), 16, 10) AS UNSIGNED)), 0) AS CHAR)`;
  const session = await openCopySession(pool, 'source');
  try {
    const [rows] = await session.conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS \`rows\`, ${half(1)} AS sum1, ${half(17)} AS sum2
         FROM (SELECT ${rowDigestSql(columns)} AS digest
                 FROM ${qualifiedTable(table.database, table.table)}) AS digests`,
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
