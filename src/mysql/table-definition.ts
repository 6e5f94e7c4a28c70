import type { Connection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { qualifiedTable, quoteIdentifier } from './sql-identifier';

/**
 * A SHOW CREATE TABLE text in its parts: the `CREATE TABLE <name> (` line, one element per body
 * line (columns, keys, constraints; without the separating commas), and the tail from the closing
 * `) ENGINE=...` line on, which for a partitioned table goes on with its partition clauses. The
 * server prints one element per line and escapes newlines inside strings and comments, so lines
 * are a reliable split.
 */
export interface CreateTableParts {
  header: string;
  body: string[];
  tail: string[];
}

export function splitCreateTable(createTable: string): CreateTableParts {
  const lines = createTable.split('\n');
  const header = lines[0] ?? '';
  const close = lines.findIndex((line, i) => i > 0 && line.startsWith(')'));
  if (!/^CREATE TABLE `.+` \($/.test(header) || close < 2)
    throw new OpsdeckError(
      ErrorCode.MysqlTableDefinitionUnexpected,
      `unexpected SHOW CREATE TABLE form: ${JSON.stringify(header)}`,
    );
  return {
    header,
    body: lines.slice(1, close).map((line) => line.replace(/,$/, '')),
    tail: lines.slice(close),
  };
}

export function joinCreateTable(parts: CreateTableParts): string {
  return [parts.header, parts.body.join(',\n'), ...parts.tail].join('\n');
}

const SECONDARY_INDEX = /^\s*(?:UNIQUE )?KEY (`(?:[^`]|``)+`) \(`((?:[^`]|``)+)`/;

export interface DeferredIndex {
  /** As in SHOW CREATE TABLE: backquoted. */
  name: string;
  /** The index's line of the definition, for `ALTER TABLE ... ADD <clause>`. */
  clause: string;
}

/**
 * Splits a table definition into its CREATE TABLE without the secondary indexes a bulk load is
 * faster without, and those indexes, to add in one ALTER TABLE once the rows are in (a sorted
 * build per index instead of a B-tree insert per row; one scan for all of them). Deferred are
 * plain and UNIQUE B-tree keys, except the copy key `keep` (a resume deletes ranges by it) and any
 * led by the AUTO_INCREMENT column (InnoDB needs that one from CREATE TABLE on). FULLTEXT and
 * SPATIAL indexes stay (InnoDB adds only one FULLTEXT index per ALTER). Partition clauses after
 * the closing line are kept as they are.
 */
export function deferSecondaryIndexes(
  definition: string,
  keep: { key: string | null; autoIncrementColumn: string | null },
): { createTable: string; deferred: DeferredIndex[] } {
  const parts = splitCreateTable(definition);
  const deferred: DeferredIndex[] = [];
  const kept = parts.body.filter((line) => {
    const match = SECONDARY_INDEX.exec(line);
    if (!match) return true;
    const [, name = '', firstColumn = ''] = match;
    const unquoted = name.slice(1, -1).replace(/``/g, '`');
    if (unquoted === keep.key || firstColumn.replace(/``/g, '`') === keep.autoIncrementColumn)
      return true;
    deferred.push({ name, clause: line.trim() });
    return false;
  });
  return { createTable: joinCreateTable({ ...parts, body: kept }), deferred };
}

/**
 * Adds the deferred indexes the table does not have yet, all in one ALTER TABLE (one scan of the
 * table; an ALTER is atomic, so after a crash each index is either there or missing). A resumed
 * copy computes the same list from the unchanged source. `destination` is a pool or a connection
 * whose session the caller has set up.
 */
export async function addDeferredIndexes(
  destination: Connection,
  to: { database: string; table: string },
  deferred: DeferredIndex[],
): Promise<void> {
  if (deferred.length === 0) return;
  const [rows] = await destination.query<RowDataPacket[]>(
    `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
    [to.database, to.table],
  );
  const existing = new Set(rows.map((row) => `\`${String(row.name).replace(/`/g, '``')}\``));
  const missing = deferred.filter((index) => !existing.has(index.name));
  if (missing.length === 0) return;
  await destination.query(
    `ALTER TABLE ${qualifiedTable(to.database, to.table)} ${missing
      .map((index) => `ADD ${index.clause}`)
      .join(', ')}`,
  );
}

export interface ForeignKey {
  /** As in SHOW CREATE TABLE: backquoted. */
  name: string;
  /** The constraint's line of the definition, for `ALTER TABLE ... ADD <clause>`. */
  clause: string;
}

const FOREIGN_KEY = /^\s*CONSTRAINT (`(?:[^`]|``)+`) FOREIGN KEY /;

/**
 * How a copy creates a table under its own name in another server: the source's exact definition
 * (CHECK constraints keep their names, partitions, options and AUTO_INCREMENT stay), qualified with
 * `database`, minus two things added back once every row is in: the secondary indexes
 * deferSecondaryIndexes() picks (faster built in one sorted pass) and the FOREIGN KEYs (added with
 * foreign_key_checks off, so rows loaded in key order, not parent first, are never rejected and
 * nothing is re-validated). A foreign key's REFERENCES may name its parent without a database:
 * the ALTER that adds it must run with `database` as the session's default database.
 */
export function baseTableDefinition(
  createTable: string,
  database: string,
  table: string,
  keep: { key: string | null; autoIncrementColumn: string | null },
): { createTable: string; deferred: DeferredIndex[]; foreignKeys: ForeignKey[] } {
  const parts = splitCreateTable(createTable);
  if (parts.header !== `CREATE TABLE ${quoteIdentifier(table)} (`)
    throw new OpsdeckError(
      ErrorCode.MysqlTableDefinitionUnexpected,
      `SHOW CREATE TABLE of ${database}.${table} names another table: ${JSON.stringify(parts.header)}`,
    );
  const foreignKeys: ForeignKey[] = [];
  const body = parts.body.filter((line) => {
    const match = FOREIGN_KEY.exec(line);
    if (match) foreignKeys.push({ name: match[1]!, clause: line.trim() });
    return !match;
  });
  const qualified = joinCreateTable({
    header: `CREATE TABLE ${qualifiedTable(database, table)} (`,
    body,
    tail: parts.tail,
  });
  return { ...deferSecondaryIndexes(qualified, keep), foreignKeys };
}

/**
 * A definition in a form two servers' definitions of the same table compare equal in: columns in
 * their order, keys and constraints as a set (a copy adds deferred indexes and foreign keys after
 * the others, and the server may list them in that order), no AUTO_INCREMENT counter (it is
 * state, not schema), partition clauses as they are.
 */
export function comparableDefinition(createTable: string): string {
  const { header, body, tail } = splitCreateTable(createTable);
  const isColumn = (line: string) => /^\s*`/.test(line);
  const [closing = '', ...partitions] = tail;
  return [
    header,
    ...body.filter(isColumn),
    ...body.filter((line) => !isColumn(line)).sort(),
    closing.replace(/ AUTO_INCREMENT=\d+/, ''),
    ...partitions,
  ].join('\n');
}
