import type { Pool, RowDataPacket } from 'mysql2/promise';
import { tableChecksum, type TableChecksum } from '../../src/mysql/table-checksum';
import { readTableShape } from '../../src/mysql/table-shape';

/**
 * Whether a seeded replica holds what the source holds (once writes stopped and it caught up):
 * the same tables with the same rows (count and content checksum of every table, both sides at
 * once), and the same views, triggers and routines by name.
 */
export interface TableVerification {
  table: string;
  source: TableChecksum;
  replica: TableChecksum | null;
  equal: boolean;
}

export interface ReplicaVerification {
  tables: TableVerification[];
  /** `kind db.name` of objects on one side only. */
  objectDifferences: string[];
  equal: boolean;
}

export async function verifyReplica(
  source: Pool,
  replica: Pool,
  databases: readonly string[],
): Promise<ReplicaVerification> {
  const tables: TableVerification[] = [];
  const objectDifferences: string[] = [];
  for (const database of databases) {
    const [sourceObjects, replicaObjects] = await Promise.all([
      schemaObjects(source, database),
      schemaObjects(replica, database),
    ]);
    for (const name of sourceObjects)
      if (!replicaObjects.has(name)) objectDifferences.push(`missing ${name}`);
    for (const name of replicaObjects)
      if (!sourceObjects.has(name)) objectDifferences.push(`extra ${name}`);
    for (const name of [...sourceObjects].filter((object) => object.startsWith('table '))) {
      const table = name.slice(`table ${database}.`.length);
      const ref = { database, table };
      const { columns } = await readTableShape(source, database, table);
      const [sourceSum, replicaSum] = await Promise.all([
        tableChecksum(source, ref, columns),
        replicaObjects.has(name) ? tableChecksum(replica, ref, columns) : null,
      ]);
      tables.push({
        table: `${database}.${table}`,
        source: sourceSum,
        replica: replicaSum,
        equal:
          replicaSum !== null &&
          replicaSum.rows === sourceSum.rows &&
          replicaSum.checksum === sourceSum.checksum,
      });
    }
  }
  return {
    tables,
    objectDifferences,
    equal: objectDifferences.length === 0 && tables.every((table) => table.equal),
  };
}

/** `table db.t`, `view db.v`, `trigger db.t`, `procedure db.p`, `function db.f`, `event db.e`. */
async function schemaObjects(pool: Pool, database: string): Promise<Set<string>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT IF(TABLE_TYPE = 'VIEW', 'view', 'table') AS kind, TABLE_NAME AS name
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?
     UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
     UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME FROM information_schema.ROUTINES
                WHERE ROUTINE_SCHEMA = ?
     UNION ALL SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`,
    [database, database, database, database],
  );
  return new Set(rows.map((row) => `${row.kind} ${database}.${row.name}`));
}
