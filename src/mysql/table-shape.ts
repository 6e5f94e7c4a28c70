import type { Connection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { checkIdentifier } from './sql-identifier';

export interface TableColumn {
  name: string;
  /** information_schema DATA_TYPE, lowercase (`int`, `varchar`, `blob`, `json`, ...). */
  dataType: string;
  /** VIRTUAL or STORED generated: computed by the server, never inserted. */
  generated: boolean;
  /** Bytes without a character set: read and written as Buffers, never decoded as text. */
  binary: boolean;
  /** An integer type: key values go to the server as BigInt, so BIGINTs above 2^53 stay exact. */
  integer: boolean;
  /** The table's AUTO_INCREMENT column (InnoDB needs an index led by it from CREATE TABLE on). */
  autoIncrement: boolean;
}

export interface TableKey {
  /** `PRIMARY` or the name of a unique index whose columns are all NOT NULL. */
  name: string;
  columns: TableColumn[];
}

export interface TableShape {
  database: string;
  table: string;
  /** In table order. */
  columns: TableColumn[];
  /** The columns a copy writes: every column but the generated ones. */
  insertable: TableColumn[];
  /** The key that orders and splits the copy, or null when the table has none usable. */
  key: TableKey | null;
  /** information_schema's row estimate (InnoDB's is approximate): for progress only. */
  estimatedRows: number;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);
const BINARY_TYPES = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'bit',
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
]);

/**
 * Reads a table's columns and its best copy key from information_schema. Generated columns are
 * those whose EXTRA says `VIRTUAL GENERATED` or `STORED GENERATED` (MariaDB and MySQL alike); a
 * plain `LIKE '%GENERATED%'` would also drop MySQL 8's `DEFAULT_GENERATED` columns (a default
 * expression such as CURRENT_TIMESTAMP), whose values must be copied.
 */
export async function readTableShape(
  pool: Connection,
  database: string,
  table: string,
): Promise<TableShape> {
  checkIdentifier(database);
  checkIdentifier(table);
  const [columnRows] = await pool.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, LOWER(DATA_TYPE) AS dataType, EXTRA AS extra
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
      ORDER BY ORDINAL_POSITION`,
    [database, table],
  );
  if (columnRows.length === 0)
    throw new OpsdeckError(ErrorCode.MysqlTableNotFound, `table ${database}.${table} not found`);
  const columns = columnRows.map((row): TableColumn => {
    const extra = String(row.extra).toUpperCase();
    const dataType = String(row.dataType);
    return {
      name: checkIdentifier(String(row.name)),
      dataType,
      generated: extra.includes('VIRTUAL GENERATED') || extra.includes('STORED GENERATED'),
      binary: BINARY_TYPES.has(dataType),
      integer: INTEGER_TYPES.has(dataType),
      autoIncrement: extra.includes('AUTO_INCREMENT'),
    };
  });

  const [indexRows] = await pool.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS indexName, COLUMN_NAME AS columnName, NULLABLE AS nullable,
            SUB_PART AS subPart
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
      ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [database, table],
  );
  const [tableRows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_ROWS AS estimatedRows FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
    [database, table],
  );
  return {
    database,
    table,
    columns,
    insertable: columns.filter((column) => !column.generated),
    key: chooseKey(columns, indexRows),
    estimatedRows: Number(tableRows[0]?.estimatedRows ?? 0),
  };
}

/**
 * The primary key if any, else the first unique index whose columns are all NOT NULL and whole
 * (a prefix index does not order or identify rows by the full value).
 */
function chooseKey(columns: TableColumn[], indexRows: RowDataPacket[]): TableKey | null {
  const byIndex = new Map<string, RowDataPacket[]>();
  for (const row of indexRows) {
    const name = String(row.indexName);
    byIndex.set(name, [...(byIndex.get(name) ?? []), row]);
  }
  for (const [name, parts] of byIndex) {
    const usable = parts.every((part) => part.nullable !== 'YES' && part.subPart === null);
    if (!usable) continue;
    const keyColumns = parts.map((part) => columns.find((c) => c.name === part.columnName));
    if (keyColumns.every((column) => column !== undefined)) return { name, columns: keyColumns };
  }
  return null;
}
