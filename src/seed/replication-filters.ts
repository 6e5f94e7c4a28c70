import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../mysql/queryable';
import type { ServerFlavor } from '../mysql/server-flavor';

/**
 * A replica's replication filters (replicate-do-db and friends), which decide whether seeding
 * only some of the source's databases works: a replica without filters applies the changes of
 * every database of the source, and the first change to a database it was not seeded with stops
 * its SQL thread (with row-based binlogs: table does not exist).
 */
export interface ReplicationFilters {
  doDb: string[];
  ignoreDb: string[];
  /** Table-level rules (do/ignore, wild or not), shown as they are: not judged here. */
  tableRules: string[];
}

const list = (value: unknown) =>
  typeof value === 'string' && value.trim() !== ''
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : [];

export async function readReplicationFilters(
  db: Queryable,
  flavor: ServerFlavor,
): Promise<ReplicationFilters> {
  if (flavor.product === 'mariadb') {
    // MariaDB exposes the filters as (dynamic) global variables.
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT @@replicate_do_db AS doDb, @@replicate_ignore_db AS ignoreDb,
              @@replicate_do_table AS doTable, @@replicate_ignore_table AS ignoreTable,
              @@replicate_wild_do_table AS wildDo, @@replicate_wild_ignore_table AS wildIgnore`,
    );
    const row: RowDataPacket = rows[0] ?? ({} as RowDataPacket);
    return {
      doDb: list(row.doDb),
      ignoreDb: list(row.ignoreDb),
      tableRules: [
        ...list(row.doTable).map((rule) => `replicate-do-table=${rule}`),
        ...list(row.ignoreTable).map((rule) => `replicate-ignore-table=${rule}`),
        ...list(row.wildDo).map((rule) => `replicate-wild-do-table=${rule}`),
        ...list(row.wildIgnore).map((rule) => `replicate-wild-ignore-table=${rule}`),
      ],
    };
  }
  // MySQL 8.0: the global filters are in performance_schema (one row per filter kind).
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT FILTER_NAME AS name, FILTER_RULE AS rule FROM performance_schema.replication_applier_global_filters',
  );
  const filters: ReplicationFilters = { doDb: [], ignoreDb: [], tableRules: [] };
  for (const row of rows) {
    const name = String(row.name).toUpperCase();
    if (name === 'REPLICATE_DO_DB') filters.doDb.push(...list(row.rule));
    else if (name === 'REPLICATE_IGNORE_DB') filters.ignoreDb.push(...list(row.rule));
    else if (list(row.rule).length > 0)
      filters.tableRules.push(
        ...list(row.rule).map((rule) => `${name.toLowerCase().replace(/_/g, '-')}=${rule}`),
      );
  }
  return filters;
}

/**
 * Why seeding `seeded` of the source's `all` databases would leave a replica that breaks or goes
 * stale, or null when it would not: a seeded database the filters skip never gets its changes; a
 * database not seeded but not filtered out stops the SQL thread at its first change.
 */
export function filtersProblem(
  filters: ReplicationFilters,
  seeded: readonly string[],
  all: readonly string[],
): string | null {
  const replicated = (db: string) =>
    !filters.ignoreDb.includes(db) && (filters.doDb.length === 0 || filters.doDb.includes(db));
  const skipped = seeded.filter((db) => !replicated(db));
  if (skipped.length > 0)
    return `the replica's filters (${describeFilters(filters)}) skip ${skipped.join(', ')}: seeded, it would never get its changes. Fix the filters or seed other databases.`;
  const unseeded = all.filter((db) => !seeded.includes(db) && replicated(db));
  if (unseeded.length > 0)
    return `the replica would apply the source's changes to ${unseeded.join(', ')} too, which it would not have: its SQL thread would stop at the first one. Seed every database (leave out --databases), or set replicate-do-db=${seeded.join(',')} on the replica first.`;
  return null;
}

export function describeFilters(filters: ReplicationFilters): string {
  const parts = [
    ...(filters.doDb.length ? [`replicate-do-db=${filters.doDb.join(',')}`] : []),
    ...(filters.ignoreDb.length ? [`replicate-ignore-db=${filters.ignoreDb.join(',')}`] : []),
    ...filters.tableRules,
  ];
  return parts.length > 0 ? parts.join('; ') : 'none';
}
