import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { exactTypeCast, openCopySession, type CopyValue } from './copy-session';
import { qualifiedTable, quoteIdentifier } from './sql-identifier';
import { rowDigestSql } from './table-checksum';
import { readTableShape } from './table-shape';

export interface KeyDifference {
  count: number;
  /** Up to `sampleSize` keys in key order, each as its column values. */
  sample: CopyValue[][];
}

export interface TableComparison {
  /** The key the rows were matched by (its column names). */
  key: string[];
  /** In the side table (the restored past), not in production: what the mistake removed. */
  missing: KeyDifference;
  /** In both, with different values: what was changed since. */
  changed: KeyDifference;
  /** In production, not in the side table: rows written since. */
  extra: KeyDifference;
}

/**
 * Compares a production table with its side table (same database) by key, on the server: counts
 * and a bounded sample of keys of rows missing from, changed in, and extra in production. Values
 * are compared byte for byte (row digests), so a change of letter case counts as a change. Needs
 * the side table to have a primary key or a NOT NULL unique key.
 */
export async function compareTables(
  pool: Pool,
  database: string,
  production: string,
  side: string,
  sampleSize = 20,
): Promise<TableComparison> {
  const shape = await readTableShape(pool, database, side);
  await readTableShape(pool, database, production);
  const key = shape.key;
  if (key === null)
    throw new OpsdeckError(
      ErrorCode.MysqlNoUsableKey,
      `${database}.${side} has no primary key or NOT NULL unique key to compare rows by`,
    );
  const sideTable = `${qualifiedTable(database, side)} AS s`;
  const prodTable = `${qualifiedTable(database, production)} AS p`;
  const on = key.columns
    .map((c) => `p.${quoteIdentifier(c.name)} = s.${quoteIdentifier(c.name)}`)
    .join(' AND ');
  const firstKey = quoteIdentifier(key.columns[0]!.name);
  const queries = {
    missing: {
      alias: 's',
      from: `${sideTable} LEFT JOIN ${prodTable} ON ${on}`,
      where: `p.${firstKey} IS NULL`,
    },
    extra: {
      alias: 'p',
      from: `${prodTable} LEFT JOIN ${sideTable} ON ${on}`,
      where: `s.${firstKey} IS NULL`,
    },
    changed: {
      alias: 's',
      from: `${sideTable} JOIN ${prodTable} ON ${on}`,
      where: `${rowDigestSql(shape.insertable, 's')} <> ${rowDigestSql(shape.insertable, 'p')}`,
    },
  };
  const session = await openCopySession(pool, 'source');
  try {
    const differences = async ({ alias, from, where }: (typeof queries)['missing']) => {
      const keyList = key.columns.map((c) => `${alias}.${quoteIdentifier(c.name)}`).join(', ');
      const [counted] = await session.conn.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`,
      );
      const [sampled] = await session.conn.query<RowDataPacket[]>({
        sql: `SELECT ${keyList} FROM ${from} WHERE ${where} ORDER BY ${keyList} LIMIT ${Number(sampleSize)}`,
        typeCast: exactTypeCast(key.columns),
      });
      return {
        count: Number(counted[0]?.n ?? 0),
        sample: sampled.map((row) => key.columns.map((c) => row[c.name] as CopyValue)),
      };
    };
    const comparison: TableComparison = {
      key: key.columns.map((c) => c.name),
      missing: await differences(queries.missing),
      changed: await differences(queries.changed),
      extra: await differences(queries.extra),
    };
    await session.release();
    return comparison;
  } catch (error) {
    session.conn.destroy();
    throw error;
  }
}
