import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from './queryable';
import { runReplicationStatement } from './replica-control';
import type { ServerFlavor } from './server-flavor';

/**
 * A replica's replication filters (replicate-do-db and friends): which of its source's changes it
 * applies. Table names are `db.table`; the wild rules are LIKE patterns on both parts.
 */
export interface ReplicationFilters {
  doDb: string[];
  ignoreDb: string[];
  doTable: string[];
  ignoreTable: string[];
  wildDoTable: string[];
  wildIgnoreTable: string[];
  /** `from->to` pairs, shown as they are: not judged here. */
  rewriteDb: string[];
}

/** A replica without filters: it applies every change of its source. */
export const NO_REPLICATION_FILTERS: Readonly<ReplicationFilters> = Object.freeze({
  doDb: [],
  ignoreDb: [],
  doTable: [],
  ignoreTable: [],
  wildDoTable: [],
  wildIgnoreTable: [],
  rewriteDb: [],
});

const list = (value: unknown) =>
  typeof value === 'string' && value.trim() !== ''
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : [];

/** MySQL's filter names (performance_schema) and MariaDB's variables, by field. */
const FILTER_NAMES: Record<keyof ReplicationFilters, string> = {
  doDb: 'replicate_do_db',
  ignoreDb: 'replicate_ignore_db',
  doTable: 'replicate_do_table',
  ignoreTable: 'replicate_ignore_table',
  wildDoTable: 'replicate_wild_do_table',
  wildIgnoreTable: 'replicate_wild_ignore_table',
  rewriteDb: 'replicate_rewrite_db',
};
const FIELDS = Object.keys(FILTER_NAMES) as (keyof ReplicationFilters)[];

export async function readReplicationFilters(
  db: Queryable,
  flavor: ServerFlavor,
): Promise<ReplicationFilters> {
  const filters: ReplicationFilters = structuredClone(NO_REPLICATION_FILTERS);
  if (flavor.product === 'mariadb') {
    // MariaDB exposes the filters as (dynamic) global variables, comma-separated.
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${FIELDS.map((field) => `@@${FILTER_NAMES[field]} AS ${field}`).join(', ')}`,
    );
    const row = rows[0] ?? {};
    for (const field of FIELDS) filters[field] = list((row as Record<string, unknown>)[field]);
    return filters;
  }
  // MySQL 8.0: the global filters are in performance_schema, one row per filter kind.
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT FILTER_NAME AS name, FILTER_RULE AS rule FROM performance_schema.replication_applier_global_filters',
  );
  for (const row of rows) {
    const field = FIELDS.find((f) => FILTER_NAMES[f] === String(row.name).toLowerCase());
    if (field) filters[field].push(...list(row.rule));
  }
  return filters;
}

/** A LIKE pattern (`%`, `_`, `\` escaping) as an anchored regular expression. */
function likePattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function wildMatches(rule: string, database: string, table: string): boolean {
  const dot = rule.indexOf('.');
  if (dot < 0) return false;
  return (
    likePattern(rule.slice(0, dot)).test(database) && likePattern(rule.slice(dot + 1)).test(table)
  );
}

/**
 * Whether a row change to `database.table` is applied, in the order MySQL evaluates the filters
 * for row-based events: database rules first (do-db, then ignore-db), then the table rules
 * (do-table, ignore-table, wild-do-table, wild-ignore-table; with any do rule, a table no rule
 * names is skipped).
 */
export function replicatesTable(
  filters: ReplicationFilters,
  database: string,
  table: string,
): boolean {
  if (filters.doDb.length > 0) {
    if (!filters.doDb.includes(database)) return false;
  } else if (filters.ignoreDb.includes(database)) return false;
  const name = `${database}.${table}`;
  if (filters.doTable.includes(name)) return true;
  if (filters.ignoreTable.includes(name)) return false;
  if (filters.wildDoTable.some((rule) => wildMatches(rule, database, table))) return true;
  if (filters.wildIgnoreTable.some((rule) => wildMatches(rule, database, table))) return false;
  return filters.doTable.length === 0 && filters.wildDoTable.length === 0;
}

/** Whether any change to `database` can be applied (its database rules let it through). */
export function replicatesDatabase(filters: ReplicationFilters, database: string): boolean {
  return filters.doDb.length > 0
    ? filters.doDb.includes(database)
    : !filters.ignoreDb.includes(database);
}

export function hasFilters(filters: ReplicationFilters): boolean {
  return FIELDS.some((field) => filters[field].length > 0);
}

/** `replicate-do-db=a,b; replicate-wild-ignore-table=mysql.rds\_%`, or `none`. */
export function describeFilters(filters: ReplicationFilters): string {
  const parts = FIELDS.filter((field) => filters[field].length > 0).map(
    (field) => `${FILTER_NAMES[field].replace(/_/g, '-')}=${filters[field].join(',')}`,
  );
  return parts.length > 0 ? parts.join('; ') : 'none';
}

/**
 * Replaces the replica's replicate-wild-ignore-table rules by `rules`, at runtime (the SQL thread
 * must be stopped): SET GLOBAL on MariaDB, CHANGE REPLICATION FILTER on MySQL. Neither survives a
 * restart: the server's option file must say the same.
 */
export async function setWildIgnoreTables(
  db: Queryable,
  flavor: ServerFlavor,
  rules: string[],
): Promise<void> {
  if (flavor.product === 'mariadb')
    await runReplicationStatement(
      db,
      'setting replicate_wild_ignore_table',
      'SET GLOBAL replicate_wild_ignore_table = ?',
      [rules.join(',')],
    );
  else
    await runReplicationStatement(
      db,
      'setting REPLICATE_WILD_IGNORE_TABLE',
      `CHANGE REPLICATION FILTER REPLICATE_WILD_IGNORE_TABLE = (${rules.map(() => '?').join(', ')})`,
      rules,
    );
}
