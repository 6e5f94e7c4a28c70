import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { compareTables } from '../mysql/compare-tables';
import { qualifiedTable, quoteIdentifier } from '../mysql/sql-identifier';
import { readTableShape } from '../mysql/table-shape';
import { refused } from './restore-preflight';
import { readTableDependencies, replaceObstacle, type ForeignKey } from './table-dependencies';

/**
 * Taking a restored table's rows into production (`--mode merge` and `--mode replace`), once the
 * side table `<table>__restored_<stamp>` is verified and a second person approved. Every refusal
 * (RestoreRefused) leaves production as it was and says what to do instead.
 */

export interface RestoredTable {
  schema: string;
  /** The production table. */
  table: string;
  /** The verified side table with the restored rows, in the same schema. */
  sideTable: string;
}

export interface MergeResult {
  inserted: number;
  /** Production compared with the side table after the merge. */
  after: { missing: number; changed: number; extra: number };
}

/**
 * Inserts, in one statement (all or none), the side table's rows whose key is not in production;
 * no production row is updated or deleted. A conflict on another unique key or a foreign key
 * inserts nothing and is refused.
 */
export async function mergeMissingRows(pool: Pool, restored: RestoredTable): Promise<MergeResult> {
  const { schema, table, sideTable } = restored;
  const shape = await readTableShape(pool, schema, sideTable);
  const key = shape.key;
  if (key === null) throw refused(`${schema}.${sideTable} has no key to merge by`);
  const columns = shape.insertable.map((c) => quoteIdentifier(c.name));
  const keyNames = key.columns.map((c) => c.name);
  const on = keyNames.map((c) => `p.${quoteIdentifier(c)} = s.${quoteIdentifier(c)}`).join(' AND ');
  let inserted: number;
  try {
    const [result] = await pool.query<ResultSetHeader>(
      `INSERT INTO ${qualifiedTable(schema, table)} (${columns.join(', ')})
       SELECT ${columns.map((c) => `s.${c}`).join(', ')}
         FROM ${qualifiedTable(schema, sideTable)} AS s
         LEFT JOIN ${qualifiedTable(schema, table)} AS p ON ${on}
        WHERE p.${quoteIdentifier(keyNames[0]!)} IS NULL`,
    );
    inserted = result.affectedRows;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ER_DUP_ENTRY' ||
      code === 'ER_NO_REFERENCED_ROW_2' ||
      code === 'ER_NO_REFERENCED_ROW'
    )
      throw refused(
        `production refused the merge, so nothing was inserted (one statement, all or none): ${(error as Error).message}. The restored rows are in \`${sideTable}\` to merge by hand.`,
        error,
      );
    throw error;
  }
  const after = await compareTables(pool, schema, table, sideTable, 0);
  return {
    inserted,
    after: { missing: after.missing.count, changed: after.changed.count, extra: after.extra.count },
  };
}

export type SwapResult =
  /** Found done (a resumed job): the side table is gone and the old table is there. */
  | { alreadySwapped: true }
  | {
      alreadySwapped: false;
      /** Production's own foreign keys re-added to the side table before the swap (their names there). */
      foreignKeysAdded: string[];
      /** Rows of the table swapped in, and of the old one kept as `beforeTable`. */
      rows: { swappedIn: number; kept: number };
    };

/**
 * Swaps the side table in atomically (`RENAME TABLE t TO before, side TO t`), the old content kept
 * as `beforeTable`. Refused (nothing changed) when other tables' foreign keys point at the table or
 * it has triggers (a rename leaves them on the old table), or when the restored rows no longer
 * satisfy the table's own foreign keys, which are re-added to the side table first.
 */
export async function swapInRestoredTable(
  pool: Pool,
  restored: RestoredTable & { beforeTable: string },
): Promise<SwapResult> {
  const { schema, table, sideTable, beforeTable } = restored;
  if (
    (await tableExists(pool, schema, beforeTable)) &&
    !(await tableExists(pool, schema, sideTable))
  )
    return { alreadySwapped: true };
  const deps = await readTableDependencies(pool, schema, table);
  const obstacle = replaceObstacle(deps, schema, table);
  if (obstacle) throw refused(`${obstacle} Nothing was changed.`);
  const foreignKeysAdded: string[] = [];
  if (deps.references.length > 0) {
    const sideDeps = await readTableDependencies(pool, schema, sideTable);
    if (sideDeps.references.length === 0) {
      try {
        await pool.query(
          `ALTER TABLE ${qualifiedTable(schema, sideTable)} ${deps.references.map(addForeignKeySql).join(', ')}`,
        );
      } catch (error) {
        throw refused(
          `the restored rows do not satisfy ${table}'s foreign keys today (${(error as Error).message}), so the swap was not made; production is unchanged. Use --mode merge, or fix the parents and swap \`${sideTable}\` by hand.`,
          error,
        );
      }
      foreignKeysAdded.push(...deps.references.map((k) => k.name));
    }
  }
  await pool.query(
    `RENAME TABLE ${qualifiedTable(schema, table)} TO ${qualifiedTable(schema, beforeTable)}, ${qualifiedTable(schema, sideTable)} TO ${qualifiedTable(schema, table)}`,
  );
  const [[count]] = await pool.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM ${qualifiedTable(schema, table)}) AS swapped_in, (SELECT COUNT(*) FROM ${qualifiedTable(schema, beforeTable)}) AS kept`,
  );
  return {
    alreadySwapped: false,
    foreignKeysAdded,
    rows: { swappedIn: Number(count!.swapped_in), kept: Number(count!.kept) },
  };
}

/** Whether `schema.table` exists (a base table or a view). */
export async function tableExists(pool: Pool, schema: string, table: string): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  return rows.length > 0;
}

function addForeignKeySql(key: ForeignKey): string {
  const list = (names: string[]) => names.map(quoteIdentifier).join(', ');
  return `ADD FOREIGN KEY (${list(key.columns)}) REFERENCES ${qualifiedTable(key.referencedSchema, key.referencedTable)} (${list(key.referencedColumns)}) ON DELETE ${ruleSql(key.onDelete)} ON UPDATE ${ruleSql(key.onUpdate)}`;
}

function ruleSql(rule: string): string {
  const known = ['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT'];
  if (!known.includes(rule)) throw refused(`unexpected foreign key rule ${JSON.stringify(rule)}`);
  return rule;
}
