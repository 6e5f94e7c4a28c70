import type { Pool, RowDataPacket } from 'mysql2/promise';
import { checkIdentifier } from '../mysql/sql-identifier';

/** A foreign key, as `ALTER TABLE ... ADD FOREIGN KEY` needs it again. */
export interface ForeignKey {
  name: string;
  /** The table holding the constraint. */
  table: string;
  columns: string[];
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
  onUpdate: string;
  onDelete: string;
}

/** A foreign key of another table (maybe in another schema) that references the table. */
export interface ReferencingKey extends ForeignKey {
  /** The schema of the table holding the constraint. */
  schema: string;
}

/**
 * What a swap (`RENAME TABLE t TO t__before, side TO t`) would not carry over: foreign keys of
 * other tables that reference t (they follow the rename to t__before), t's own foreign keys (the
 * side table is created without them) and t's triggers (they stay on t__before).
 */
export interface TableDependencies {
  /** Constraints in other tables (or t itself) that reference t. */
  referencedBy: ReferencingKey[];
  /** t's own constraints on its parents. */
  references: ForeignKey[];
  triggers: string[];
  /** The triggers an INSERT fires (what a merge would run for every row it inserts), in order. */
  insertTriggers: TableTrigger[];
}

export interface TableTrigger {
  name: string;
  /** BEFORE or AFTER. */
  timing: string;
}

export async function readTableDependencies(
  pool: Pool,
  schema: string,
  table: string,
): Promise<TableDependencies> {
  checkIdentifier(schema);
  checkIdentifier(table);
  const [keys] = await pool.query<RowDataPacket[]>(
    `SELECT k.CONSTRAINT_NAME AS name, k.TABLE_SCHEMA AS tableSchema, k.TABLE_NAME AS tableName,
            k.COLUMN_NAME AS columnName, k.REFERENCED_TABLE_SCHEMA AS refSchema,
            k.REFERENCED_TABLE_NAME AS refTable, k.REFERENCED_COLUMN_NAME AS refColumn,
            r.UPDATE_RULE AS onUpdate, r.DELETE_RULE AS onDelete
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.REFERENCED_TABLE_NAME IS NOT NULL
        AND ((k.TABLE_SCHEMA = ? AND k.TABLE_NAME = ?)
          OR (k.REFERENCED_TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME = ?))
      ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [schema, table, schema, table],
  );
  const byName = new Map<string, ForeignKey & { tableSchema: string }>();
  for (const row of keys) {
    const id = `${row.tableSchema}.${row.tableName}.${row.name}`;
    let key = byName.get(id);
    if (!key) {
      key = {
        name: String(row.name),
        tableSchema: String(row.tableSchema),
        table: String(row.tableName),
        columns: [],
        referencedSchema: String(row.refSchema),
        referencedTable: String(row.refTable),
        referencedColumns: [],
        onUpdate: String(row.onUpdate),
        onDelete: String(row.onDelete),
      };
      byName.set(id, key);
    }
    key.columns.push(String(row.columnName));
    key.referencedColumns.push(String(row.refColumn));
  }
  const all = [...byName.values()];
  const [triggers] = await pool.query<RowDataPacket[]>(
    `SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event
       FROM information_schema.TRIGGERS
      WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? ORDER BY TRIGGER_NAME`,
    [schema, table],
  );
  const strip = ({ tableSchema: _, ...key }: ForeignKey & { tableSchema: string }) => key;
  return {
    referencedBy: all
      .filter((k) => k.referencedSchema === schema && k.referencedTable === table)
      .map(({ tableSchema, ...key }) => ({ ...key, schema: tableSchema })),
    references: all
      .filter(
        (k) =>
          k.tableSchema === schema &&
          k.table === table &&
          !(k.referencedSchema === schema && k.referencedTable === table),
      )
      .map(strip),
    triggers: triggers.map((row) => String(row.name)),
    insertTriggers: triggers
      .filter((row) => String(row.event) === 'INSERT')
      .map((row) => ({ name: String(row.name), timing: String(row.timing) })),
  };
}

/** Why `replace` cannot keep its promise for this table, or undefined when it can. */
export function replaceObstacle(
  deps: TableDependencies,
  schema: string,
  table: string,
): string | undefined {
  if (deps.referencedBy.length > 0) {
    // Qualified by schema when it is another schema's table.
    const names = deps.referencedBy
      .map((k) => `${k.schema === schema ? '' : `${k.schema}.`}${k.table}.${k.name}`)
      .join(', ');
    return `${schema}.${table} is referenced by foreign keys (${names}); after a swap they would point at the old table. Use --mode merge, or --mode side and swap by hand.`;
  }
  if (deps.triggers.length > 0) {
    return `${schema}.${table} has triggers (${deps.triggers.join(', ')}); a swap would leave them on the old table. Use --mode merge, or --mode side and swap by hand.`;
  }
  return undefined;
}

/** Why `merge` must not run as asked (it would fire production's INSERT triggers), or undefined. */
export function mergeObstacle(
  deps: TableDependencies,
  schema: string,
  table: string,
  fireTriggers: boolean,
): string | undefined {
  if (deps.insertTriggers.length === 0 || fireTriggers) return undefined;
  return `${schema}.${table} has INSERT triggers (${describeTriggers(deps.insertTriggers)}): a merge would fire them once for every row it inserts. Add --fire-triggers to merge anyway, or use --mode side and insert by hand.`;
}

/** `audit_insert (AFTER INSERT), stamp (BEFORE INSERT)`. */
export function describeTriggers(triggers: readonly TableTrigger[]): string {
  return triggers.map((t) => `${t.name} (${t.timing} INSERT)`).join(', ');
}
