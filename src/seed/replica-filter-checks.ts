import {
  describeFilters,
  replicatesDatabase,
  replicatesTable,
  type ReplicationFilters,
} from '../mysql/replication-filters';

/**
 * What a replica's filters must say before it is seeded from RDS. RDS writes tables of its own in
 * the `mysql` schema on the master (rds_heartbeat2 every few minutes, rds_configuration when
 * retention changes, rds_history...); they reach an external replica by replication, and a server
 * that is not RDS lacks them, so its SQL thread stops (error 1146, table doesn't exist) within
 * minutes of being seeded. The rule below skips them.
 */
export const RDS_TABLES_RULE = 'mysql.rds\\_%';

const RDS_TABLES = [
  'rds_heartbeat2',
  'rds_configuration',
  'rds_history',
  'rds_replication_status',
  'rds_sysinfo',
];

export function skipsRdsTables(filters: ReplicationFilters): boolean {
  return RDS_TABLES.every((table) => !replicatesTable(filters, 'mysql', table));
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
  const skipped = seeded.filter((db) => !replicatesDatabase(filters, db));
  if (skipped.length > 0)
    return `the replica's filters (${describeFilters(filters)}) skip ${skipped.join(', ')}: seeded, it would never get its changes. Fix the filters or seed other databases.`;
  const unseeded = all.filter((db) => !seeded.includes(db) && replicatesDatabase(filters, db));
  if (unseeded.length > 0)
    return `the replica would apply the source's changes to ${unseeded.join(', ')} too, which it would not have: its SQL thread would stop at the first one. Seed every database (leave out --databases), or set replicate-do-db=${seeded.filter((db) => all.includes(db)).join(',')} on the replica first.`;
  return null;
}
