import type { RDSClient } from '@aws-sdk/client-rds';
import { describeInstance, endpointOf } from '../aws/rds-instance';
import type { DatabaseAccess } from '../mysql/database-access';
import { withPool } from '../mysql/with-pool';

/** The most a picker shows (Slack takes at most 100 options per suggestion). */
const MAX_SUGGESTIONS = 100;

/**
 * `schema.table` names of a configured database's user tables that contain `typed`, for the
 * restore form's table picker: read from information_schema (read only, one connection, a short
 * connect timeout), at most 100, sorted. Unknown database or instance: none.
 */
export async function suggestTables(
  rds: RDSClient,
  databases: DatabaseAccess,
  database: string,
  typed: string,
): Promise<string[]> {
  const target = databases.target(database);
  if (!target) return [];
  const instance = await describeInstance(rds, target.instance);
  if (!instance) return [];
  const pool = databases.openPool(database, endpointOf(instance), {
    connections: 1,
    connectTimeoutMs: 2000,
  });
  const like = `%${typed.trim().replace(/[\\%_]/g, '\\$&')}%`;
  const rows = await withPool(pool, async (p) => {
    const [result] = await p.query(
      `SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS name
         FROM information_schema.TABLES
        WHERE TABLE_TYPE = 'BASE TABLE'
          AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
          AND CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) LIKE ?
        ORDER BY TABLE_SCHEMA, TABLE_NAME
        LIMIT ${MAX_SUGGESTIONS}`,
      [like],
    );
    return result as { name: string }[];
  });
  return rows.map((row) => row.name);
}
