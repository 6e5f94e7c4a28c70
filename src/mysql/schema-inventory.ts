import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { withSchemaSession } from './copy-session';
import { readSchemaObjects, type SchemaObject } from './schema-objects';
import { checkIdentifier, qualifiedTable } from './sql-identifier';
import { readTableShape, type TableShape } from './table-shape';

/** Names no copy may drop and recreate on a server. */
const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/**
 * The database list of a copy, checked before any SQL: safe identifiers, at least one, no
 * duplicates, no system schema.
 */
export function checkDatabaseList(databases: string[]): string[] {
  for (const name of databases) checkIdentifier(name);
  if (databases.length === 0)
    throw new OpsdeckError(ErrorCode.InputInvalid, 'no database to copy was given');
  if (new Set(databases).size !== databases.length)
    throw new OpsdeckError(
      ErrorCode.InputInvalid,
      `databases listed twice: ${databases.join(', ')}`,
    );
  const system = databases.filter((name) => SYSTEM_SCHEMAS.has(name.toLowerCase()));
  if (system.length > 0)
    throw new OpsdeckError(
      ErrorCode.MysqlCopyUnsupported,
      `system schemas are never copied: ${system.join(', ')}`,
    );
  return databases;
}

export interface SourceDatabase {
  name: string;
  characterSet: string;
  collation: string;
}

export interface SourceTable {
  database: string;
  table: string;
  /** `database.table`. */
  key: string;
  engine: string;
  /** information_schema's estimates: for ordering and progress only. */
  estimatedRows: number;
  dataBytes: number;
  shape: TableShape;
  /** SHOW CREATE TABLE, read in a schema session. */
  createTable: string;
}

export interface SchemaInventory {
  databases: SourceDatabase[];
  /** Base tables, biggest first (data bytes, then estimated rows, then name). */
  tables: SourceTable[];
  /** Views, routines, triggers and events, see readSchemaObjects(). */
  objects: SchemaObject[];
  /** Every collation the databases, tables, columns and objects use. */
  collations: string[];
}

/**
 * Engines whose tables the copy reproduces: it reads their rows, writes them, deletes a range of
 * them on resume. Others are refused: FEDERATED/CONNECT/SPIDER tables hold no rows of their own
 * (writing to the copy would write to the remote table), MERGE tables show their parts' rows,
 * ARCHIVE cannot delete a range, BLACKHOLE keeps nothing.
 */
const COPYABLE_ENGINES = new Set(['innodb', 'myisam', 'aria', 'memory']);

/** The default character set and collation of each of `databases` that exists on `pool`. */
export async function readDatabaseDefaults(
  pool: Pool,
  databases: string[],
): Promise<Map<string, { characterSet: string; collation: string }>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS characterSet,
            DEFAULT_COLLATION_NAME AS collation
       FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)`,
    [databases],
  );
  return new Map(
    rows.map((row) => [
      String(row.name),
      { characterSet: String(row.characterSet), collation: String(row.collation) },
    ]),
  );
}

/**
 * Reads what `databases` hold on `pool`: default character sets, base tables with their shapes
 * and definitions, views, routines, triggers and events. Refuses (MysqlDatabaseNotFound) if a
 * database is missing, and (MysqlCopyUnsupported) what a copy cannot reproduce faithfully:
 * system-versioned tables and sequences (MariaDB), engines outside COPYABLE_ENGINES, names that
 * are not safe identifiers. `parallelism` schema sessions read table shapes and definitions.
 */
export async function readSchemaInventory(
  pool: Pool,
  databases: string[],
  parallelism: number,
): Promise<SchemaInventory> {
  const found = await readDatabaseDefaults(pool, databases);
  const missing = databases.filter((name) => !found.has(name));
  if (missing.length > 0)
    throw new OpsdeckError(
      ErrorCode.MysqlDatabaseNotFound,
      `database${missing.length > 1 ? 's' : ''} not found on the source: ${missing.join(', ')}`,
    );
  const databaseList = databases.map((name) => ({
    name,
    characterSet: checkIdentifier(found.get(name)!.characterSet),
    collation: checkIdentifier(found.get(name)!.collation),
  }));

  const [tableRows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine,
            TABLE_ROWS AS estimatedRows, DATA_LENGTH AS dataBytes, TABLE_COLLATION AS collation
       FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE <> 'VIEW'`,
    [databases],
  );
  for (const row of tableRows) {
    const where = `${row.db}.${row.name}`;
    checkIdentifier(String(row.name));
    if (row.type !== 'BASE TABLE')
      throw new OpsdeckError(
        ErrorCode.MysqlCopyUnsupported,
        `${where} is a ${String(row.type).toLowerCase()} table, which the copy cannot reproduce faithfully (its history or state is not in its rows)`,
      );
    if (!COPYABLE_ENGINES.has(String(row.engine).toLowerCase()))
      throw new OpsdeckError(
        ErrorCode.MysqlCopyUnsupported,
        `${where} uses the ${row.engine} engine, which the copy does not reproduce (only ${[...COPYABLE_ENGINES].join(', ')})`,
      );
  }
  const [columnCollations] = await pool.query<RowDataPacket[]>(
    `SELECT DISTINCT COLLATION_NAME AS collation FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA IN (?) AND COLLATION_NAME IS NOT NULL`,
    [databases],
  );

  const tables: SourceTable[] = [];
  let next = 0;
  let failed = false;
  const lane = (conn: PoolConnection) => async () => {
    for (let row = tableRows[next++]; row !== undefined && !failed; row = tableRows[next++]) {
      const database = String(row.db);
      const table = String(row.name);
      tables.push({
        database,
        table,
        key: `${database}.${table}`,
        engine: String(row.engine),
        estimatedRows: Number(row.estimatedRows ?? 0),
        dataBytes: Number(row.dataBytes ?? 0),
        shape: await readTableShape(conn, database, table),
        createTable: await showCreateTable(conn, database, table),
      });
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(parallelism, tableRows.length)) }, () =>
      withSchemaSession(pool, 'source', (conn) => lane(conn)()).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  tables.sort(
    (a, b) =>
      b.dataBytes - a.dataBytes ||
      b.estimatedRows - a.estimatedRows ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const objects = await readSchemaObjects(pool, databases);
  const collations = new Set<string>([
    ...databaseList.map((d) => d.collation),
    ...tableRows.flatMap((row) => (row.collation ? [String(row.collation)] : [])),
    ...columnCollations.map((row) => String(row.collation)),
    ...objects.flatMap((o) => [
      o.collationConnection,
      ...(o.databaseCollation ? [o.databaseCollation] : []),
    ]),
  ]);
  return { databases: databaseList, tables, objects, collations: [...collations].sort() };
}

async function showCreateTable(
  conn: PoolConnection,
  database: string,
  table: string,
): Promise<string> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SHOW CREATE TABLE ${qualifiedTable(database, table)}`,
  );
  const text = rows[0]?.['Create Table'];
  if (typeof text !== 'string')
    throw new OpsdeckError(
      ErrorCode.MysqlTableDefinitionUnexpected,
      `${database}.${table} has no table definition`,
    );
  return text;
}

/**
 * Refuses (MysqlCopyUnsupported), before anything changes, a destination that cannot hold what the
 * inventory lists: an engine or collation it lacks (a MySQL 8 collation on MariaDB, say), or a
 * stored function it would reject at the end of a long copy because its binary log is on without
 * log_bin_trust_function_creators and the function is neither DETERMINISTIC, NO SQL nor READS
 * SQL DATA (RDS sets that variable in its parameter group; the replica needs it too).
 */
export async function checkDestinationCanHold(
  destination: Pool,
  inventory: SchemaInventory,
): Promise<void> {
  const [engineRows] = await destination.query<RowDataPacket[]>(
    `SELECT ENGINE AS engine FROM information_schema.ENGINES WHERE SUPPORT IN ('YES', 'DEFAULT')`,
  );
  const engines = new Set(engineRows.map((row) => String(row.engine).toLowerCase()));
  const missingEngines = [...new Set(inventory.tables.map((t) => t.engine))].filter(
    (engine) => !engines.has(engine.toLowerCase()),
  );
  const [collationRows] = await destination.query<RowDataPacket[]>(
    'SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS',
  );
  const collations = new Set(collationRows.map((row) => String(row.name)));
  const missingCollations = inventory.collations.filter((name) => !collations.has(name));
  const [[binlog]] = await destination.query<RowDataPacket[]>(
    'SELECT @@log_bin AS logBin, @@log_bin_trust_function_creators AS trusted',
  );
  const refusedFunctions =
    Number(binlog?.logBin) === 1 && Number(binlog?.trusted) !== 1
      ? inventory.objects.filter((o) => o.unsafeForBinlog).map((o) => o.key)
      : [];
  const problems = [
    ...(missingEngines.length ? [`engines it lacks: ${missingEngines.join(', ')}`] : []),
    ...(missingCollations.length ? [`collations it lacks: ${missingCollations.join(', ')}`] : []),
    ...(refusedFunctions.length
      ? [
          `functions its binary log refuses without log_bin_trust_function_creators = 1: ${refusedFunctions.join(', ')}`,
        ]
      : []),
  ];
  if (problems.length > 0)
    throw new OpsdeckError(
      ErrorCode.MysqlCopyUnsupported,
      `the destination cannot hold the copy: ${problems.join('; ')}`,
    );
}
