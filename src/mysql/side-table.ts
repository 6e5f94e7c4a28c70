import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { checkIdentifier, qualifiedTable } from './sql-identifier';
import { deferSecondaryIndexes, type DeferredIndex } from './table-definition';

export { addDeferredIndexes, deferSecondaryIndexes, type DeferredIndex } from './table-definition';

const STAMP = /^[0-9a-z]{1,20}$/;

/** A UTC timestamp usable in a table name: `20251121t160000`. */
export function sideTableStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:]/g, '')
    .toLowerCase();
}

/** `<table>__restored_<stamp>`, refused if the result is not a valid identifier (too long). */
export function sideTableName(table: string, stamp: string): string {
  checkIdentifier(table);
  if (!STAMP.test(stamp))
    throw new OpsdeckError(
      ErrorCode.MysqlIdentifierInvalid,
      `side table stamp must be 1-20 of 0-9 a-z: ${JSON.stringify(stamp)}`,
    );
  return checkIdentifier(`${table}__restored_${stamp}`);
}

const FOREIGN_KEY_LINE = /^\s*CONSTRAINT `(?:[^`]|``)+` FOREIGN KEY /;
const NAMED_CHECK = /^(\s*)CONSTRAINT `(?:[^`]|``)+` (CHECK \()/;

/**
 * The side table's CREATE TABLE, from the original's SHOW CREATE TABLE text, renamed.
 *
 * Foreign keys are stripped, not renamed: their names are unique per database (the side table's
 * would clash with the original's), and the side table is a copy to inspect, merge from or swap
 * in; its rows come from another point in time and need not match today's parent rows. A swap
 * (`replace` mode) therefore leaves the table without its foreign keys, which the runbook must
 * say. Named CHECK constraints lose their name (MySQL 8 also keeps those unique per database) and
 * the server names them. Triggers are not part of SHOW CREATE TABLE, so the side table has none.
 */
export function sideTableDefinition(
  createTable: string,
  database: string,
  sideTable: string,
): string {
  const lines = createTable.split('\n');
  const header = lines[0] ?? '';
  const footer = lines[lines.length - 1] ?? '';
  if (
    lines.length < 3 ||
    !/^CREATE TABLE `(?:[^`]|``)+` \($/.test(header) ||
    !footer.startsWith(')')
  )
    throw new OpsdeckError(
      ErrorCode.MysqlTableDefinitionUnexpected,
      `unexpected SHOW CREATE TABLE form: ${JSON.stringify(header)}`,
    );
  const body = lines
    .slice(1, -1)
    .filter((line) => !FOREIGN_KEY_LINE.test(line))
    .map((line) => line.replace(/,$/, '').replace(NAMED_CHECK, '$1$2'));
  return [`CREATE TABLE ${qualifiedTable(database, sideTable)} (`, body.join(',\n'), footer].join(
    '\n',
  );
}

/** The source table's SHOW CREATE TABLE text. */
export async function showCreateTable(
  source: Pool,
  from: { database: string; table: string },
): Promise<string> {
  const [rows] = await source.query<RowDataPacket[]>(
    `SHOW CREATE TABLE ${qualifiedTable(from.database, from.table)}`,
  );
  const createTable = rows[0]?.['Create Table'];
  if (typeof createTable !== 'string')
    throw new OpsdeckError(
      ErrorCode.MysqlTableDefinitionUnexpected,
      `${from.database}.${from.table} is not a base table`,
    );
  return createTable;
}

/**
 * Creates `database.sideTable` in the destination from the source table's definition. Fails with
 * MysqlSideTableExists if it exists: this is the only table the copy engine ever creates or
 * writes, and it never overwrites one. With `deferIndexes`, the indexes deferSecondaryIndexes()
 * picks are left out and returned, for addDeferredIndexes() once the rows are in.
 */
export async function createSideTable(
  source: Pool,
  destination: Pool,
  from: { database: string; table: string },
  to: { database: string; table: string },
  deferIndexes?: { key: string | null; autoIncrementColumn: string | null },
): Promise<DeferredIndex[]> {
  const definition = sideTableDefinition(
    await showCreateTable(source, from),
    to.database,
    to.table,
  );
  const { createTable, deferred } = deferIndexes
    ? deferSecondaryIndexes(definition, deferIndexes)
    : { createTable: definition, deferred: [] };
  try {
    await destination.query(createTable);
    return deferred;
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_TABLE_EXISTS_ERROR')
      throw new OpsdeckError(
        ErrorCode.MysqlSideTableExists,
        `side table ${to.database}.${to.table} already exists; resume into it explicitly or pick another stamp`,
        { cause: error },
      );
    throw error;
  }
}
