import type { Pool } from 'mysql2/promise';
import {
  checkDatabaseList,
  readDatabaseDefaults,
  readSchemaInventory,
  type SchemaInventory,
  type SourceTable,
} from './schema-inventory';
import { withoutEventStatus, type ObjectType, type SchemaObject } from './schema-objects';
import { tableChecksum, type TableChecksum } from './table-checksum';
import { comparableDefinition } from './table-definition';
import { readTableShape } from './table-shape';

/**
 * A copied table's content checksums on both sides, taken as soon as its copy was finished (its
 * rows and indexes in; what comes later, foreign keys added with checks off and triggers, changes
 * no row), while other tables were still being copied. verifyDatabases uses them instead of
 * reading the table again, when they were taken over the same columns.
 */
export interface TableContentSums {
  columns: string[];
  source: TableChecksum;
  destination: TableChecksum;
}

/** Checksums one copied table on both sides, over the source's insertable columns. */
export async function checksumCopiedTable(
  source: Pool,
  destination: Pool,
  database: string,
  table: string,
): Promise<TableContentSums> {
  const shape = await readTableShape(source, database, table);
  const ref = { database, table };
  const [sourceSum, destinationSum] = await Promise.all([
    tableChecksum(source, ref, shape.insertable),
    tableChecksum(destination, ref, shape.insertable),
  ]);
  return {
    columns: shape.insertable.map((column) => column.name),
    source: sourceSum,
    destination: destinationSum,
  };
}

export interface TableVerification {
  database: string;
  table: string;
  /** Null when the table is missing on that side (or its columns differ, on the destination). */
  source: TableChecksum | null;
  destination: TableChecksum | null;
  /** Same columns, keys, constraints, options and partitions (see comparableDefinition()). */
  definitionEqual: boolean;
  equal: boolean;
}

export interface ObjectVerification {
  type: ObjectType;
  database: string;
  name: string;
  onSource: boolean;
  onDestination: boolean;
  /** Same statement and sql_mode (an event's status aside: the replica's is disabled on slave). */
  definitionEqual: boolean;
  equal: boolean;
}

export interface DatabasesVerification {
  /** No difference at all. */
  equal: boolean;
  tables: TableVerification[];
  /** Views, procedures, functions, triggers and events of either side, by type and name. */
  objects: ObjectVerification[];
  /** One line per difference, for people: `table shop.items: 1002 rows on the source, 1001 ...`. */
  differences: string[];
}

/** Event statuses a replica's copy of an event may have (MySQL 8.2+ says REPLICA_SIDE_...). */
const DISABLED_ON_REPLICA = new Set(['SLAVESIDE_DISABLED', 'REPLICA_SIDE_DISABLED']);

/**
 * Compares `databases` on both servers: default character sets; per base table its definition and
 * its row count and content checksum on both sides (over the source's insertable columns, byte for
 * byte, see tableChecksum()), `parallelism` tables at once per side; views, routines, triggers and
 * events by name and definition, and each copied event disabled on the replica. Tables or objects
 * on one side only are differences too. The source's databases must exist.
 */
export async function verifyDatabases(
  source: Pool,
  destination: Pool,
  databases: string[],
  options: {
    parallelism?: number;
    signal?: AbortSignal;
    /** By `database.table`: checksums taken as each table's copy finished (checksumCopiedTable). */
    contentSums?: Readonly<Record<string, TableContentSums>>;
  } = {},
): Promise<DatabasesVerification> {
  checkDatabaseList(databases);
  const parallelism = Math.max(1, Math.floor(options.parallelism ?? 4));
  const differences: string[] = [];
  const sourceSide = await readSchemaInventory(source, databases, parallelism);
  const destinationDatabases = await readDatabaseDefaults(destination, databases);
  for (const database of sourceSide.databases) {
    const other = destinationDatabases.get(database.name);
    if (other === undefined)
      differences.push(`database ${database.name}: missing on the destination`);
    else if (other.characterSet !== database.characterSet || other.collation !== database.collation)
      differences.push(
        `database ${database.name}: default ${database.characterSet}/${database.collation} on the source, ${other.characterSet}/${other.collation} on the destination`,
      );
  }
  options.signal?.throwIfAborted();
  const destinationSide: SchemaInventory =
    destinationDatabases.size > 0
      ? await readSchemaInventory(destination, [...destinationDatabases.keys()], parallelism)
      : { databases: [], tables: [], objects: [], collations: [] };

  const tables = await compareTables(
    source,
    destination,
    sourceSide.tables,
    destinationSide.tables,
    parallelism,
    differences,
    options.signal,
    options.contentSums ?? {},
  );
  const objects = compareObjects(sourceSide.objects, destinationSide.objects, differences);
  return { equal: differences.length === 0, tables, objects, differences };
}

async function compareTables(
  source: Pool,
  destination: Pool,
  sourceTables: SourceTable[],
  destinationTables: SourceTable[],
  parallelism: number,
  differences: string[],
  signal: AbortSignal | undefined,
  contentSums: Readonly<Record<string, TableContentSums>>,
): Promise<TableVerification[]> {
  const byKey = new Map(destinationTables.map((table) => [table.key, table]));
  const sourceKeys = new Set(sourceTables.map((table) => table.key));
  const results = await mapLimited(sourceTables, parallelism, async (table) => {
    signal?.throwIfAborted();
    const ref = { database: table.database, table: table.table };
    const other = byKey.get(table.key);
    const columns = table.shape.insertable;
    const sameColumns =
      other !== undefined &&
      JSON.stringify(other.shape.insertable.map((c) => c.name)) ===
        JSON.stringify(columns.map((c) => c.name));
    const early = Object.hasOwn(contentSums, table.key) ? contentSums[table.key] : undefined;
    const [sourceSum, destinationSum] =
      early && sameColumns && early.columns.join('\0') === columns.map((c) => c.name).join('\0')
        ? [early.source, early.destination]
        : await Promise.all([
            tableChecksum(source, ref, columns),
            sameColumns ? tableChecksum(destination, ref, columns) : null,
          ]);
    const definitionEqual =
      other !== undefined &&
      comparableDefinition(other.createTable) === comparableDefinition(table.createTable);
    const found: string[] = [];
    const where = `table ${table.key}`;
    if (other === undefined) found.push(`${where}: missing on the destination`);
    else {
      if (!definitionEqual) found.push(`${where}: definition differs`);
      if (destinationSum === null) found.push(`${where}: columns differ, content not compared`);
      else if (destinationSum.rows !== sourceSum.rows)
        found.push(
          `${where}: ${sourceSum.rows} rows on the source, ${destinationSum.rows} on the destination`,
        );
      else if (destinationSum.checksum !== sourceSum.checksum)
        found.push(`${where}: content differs (same row count, different checksum)`);
    }
    return {
      found,
      verification: {
        ...ref,
        source: sourceSum,
        destination: destinationSum,
        definitionEqual,
        equal: found.length === 0,
      },
    };
  });
  for (const result of results) differences.push(...result.found);
  const extra = destinationTables.filter((table) => !sourceKeys.has(table.key));
  for (const table of extra) differences.push(`table ${table.key}: only on the destination`);
  return [
    ...results.map((result) => result.verification),
    ...extra.map((table) => ({
      database: table.database,
      table: table.table,
      source: null,
      destination: null,
      definitionEqual: false,
      equal: false,
    })),
  ];
}

function comparable(object: SchemaObject): string {
  const create = object.type === 'EVENT' ? withoutEventStatus(object.create) : object.create;
  return JSON.stringify([create, object.sqlMode, object.timeZone]);
}

function compareObjects(
  sourceObjects: SchemaObject[],
  destinationObjects: SchemaObject[],
  differences: string[],
): ObjectVerification[] {
  const id = (object: SchemaObject) => `${object.type.toLowerCase()} ${object.key}`;
  const sourceById = new Map(sourceObjects.map((object) => [id(object), object]));
  const destinationById = new Map(destinationObjects.map((object) => [id(object), object]));
  const ids = [...new Set([...sourceById.keys(), ...destinationById.keys()])];
  return ids.map((key) => {
    const mine = sourceById.get(key);
    const theirs = destinationById.get(key);
    const object = (mine ?? theirs)!;
    const definitionEqual =
      mine !== undefined && theirs !== undefined && comparable(mine) === comparable(theirs);
    const before = differences.length;
    if (theirs === undefined) differences.push(`${key}: missing on the destination`);
    else if (mine === undefined) differences.push(`${key}: only on the destination`);
    else {
      if (!definitionEqual) differences.push(`${key}: definition differs`);
      if (theirs.type === 'EVENT' && !DISABLED_ON_REPLICA.has(theirs.status ?? ''))
        differences.push(
          `${key}: ${theirs.status} on the destination, not disabled on the replica`,
        );
    }
    return {
      type: object.type,
      database: object.database,
      name: object.name,
      onSource: mine !== undefined,
      onDestination: theirs !== undefined,
      definitionEqual,
      equal: differences.length === before,
    };
  });
}

/** `work` over `items`, at most `limit` at once, results in the items' order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () =>
      lane().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  return results;
}
