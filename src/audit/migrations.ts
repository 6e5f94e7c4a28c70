import { createHash } from 'node:crypto';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import {
  ensureOwnDatabase,
  isAccessDenied,
  ownDatabaseGrants,
  ownDatabaseVisible,
  type GrantsFor,
} from '../mysql/own-database';
import { qualifiedTable } from '../mysql/sql-identifier';

/**
 * Versioned schema changes of the audit store, applied at startup, each once, recorded in
 * `schema_migrations` (scope `audit:<table>`). Idempotent and safe to start in several processes
 * at once: a named lock serializes them and every statement tolerates a re-run. A database that
 * does not exist yet is created first when the account may (see src/mysql/own-database.ts).
 *
 * When nothing is pending, startup only reads `schema_migrations`. So the bot's account needs
 * no DDL: apply migrations once with an admin account (`opsdeck audit migrate` with an admin
 * config), then give the bot only this (see test/integration/audit/grants.test.ts):
 *
 *   CREATE USER 'opsdeck_audit'@'%' IDENTIFIED BY '...';
 *   GRANT SELECT, INSERT ON opsdeck.audit_events TO 'opsdeck_audit'@'%';
 *   GRANT SELECT ON opsdeck.schema_migrations TO 'opsdeck_audit'@'%';
 *
 * Without UPDATE and DELETE the bot cannot rewrite history; the hash chain shows it if someone
 * with more rights does.
 */

export interface Migration {
  version: number;
  name: string;
  statements: (table: string) => string[];
}

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create the append-only, hash-chained audit events table',
    statements: (table) => [
      `CREATE TABLE IF NOT EXISTS ${table} (
        seq BIGINT UNSIGNED NOT NULL,
        event_id VARCHAR(64) NOT NULL,
        ts_ms BIGINT NOT NULL,
        type VARCHAR(32) NOT NULL,
        actor_id VARCHAR(64) NULL,
        actor_name VARCHAR(255) NULL,
        channel_id VARCHAR(64) NULL,
        channel_name VARCHAR(255) NULL,
        command VARCHAR(128) NULL,
        target VARCHAR(255) NULL,
        job_id VARCHAR(128) NULL,
        step VARCHAR(128) NULL,
        args_json MEDIUMTEXT NULL,
        detail_json MEDIUMTEXT NULL,
        prev_hash CHAR(64) CHARACTER SET ascii NOT NULL,
        hash CHAR(64) CHARACTER SET ascii NOT NULL,
        PRIMARY KEY (seq),
        UNIQUE KEY uq_event_id (event_id),
        UNIQUE KEY uq_prev_hash (prev_hash),
        KEY ix_job (job_id, seq),
        KEY ix_time (ts_ms),
        KEY ix_actor (actor_id, ts_ms),
        KEY ix_command (command, ts_ms)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
];

const MIGRATIONS_TABLE = 'schema_migrations';

/** For an audit account of its own: the tables come first (an administrator's), then its GRANTs. */
export function auditAccountGrants(table: string): GrantsFor {
  return (database, account) => [
    'then apply the migrations with an account that may create tables (opsdeck audit migrate) and run:',
    `GRANT SELECT, INSERT ON ${qualifiedTable(database, table)} TO ${account};`,
    `GRANT SELECT ON ${qualifiedTable(database, MIGRATIONS_TABLE)} TO ${account};`,
  ];
}

/** Applies pending migrations; returns the versions applied now (empty when up to date). */
export async function migrate(
  pool: Pool,
  database: string,
  table: string,
  migrations: readonly Migration[] = AUDIT_MIGRATIONS,
  lockTimeoutSeconds = 30,
  /** Whose migrations these are (`<scopePrefix>:<table>` in schema_migrations): other stores reuse this. */
  scopePrefix = 'audit',
  /** What an administrator grants the account when the database is missing and it may not create it. */
  grants: GrantsFor = ownDatabaseGrants,
): Promise<number[]> {
  const scope = `${scopePrefix}:${table}`;
  let pending: Migration[];
  try {
    pending = await pendingMigrations(pool, database, scope, migrations);
  } catch (error) {
    // An account with no privilege on a database that does not exist yet is refused the read
    // before the server says the database is missing: everything is pending then too.
    if (!isAccessDenied(error) || (await ownDatabaseVisible(pool, database))) throw error;
    pending = [...migrations];
  }
  if (pending.length === 0) return [];
  const conn = await pool.getConnection();
  const lock = `opsdeck.migrate.${createHash('sha256').update(database).digest('hex').slice(0, 32)}`;
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [
      lock,
      lockTimeoutSeconds,
    ]);
    if (rows[0]?.got !== 1)
      throw new Error(`migrations of ${database} are locked by another process`);
    try {
      await ensureOwnDatabase(conn, database, grants);
      return await applyPending(conn, database, table, scope, migrations);
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    conn.release();
  }
}

async function applyPending(
  conn: PoolConnection,
  database: string,
  table: string,
  scope: string,
  migrations: readonly Migration[],
): Promise<number[]> {
  const record = qualifiedTable(database, MIGRATIONS_TABLE);
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${record} (
      scope VARCHAR(128) NOT NULL,
      version INT NOT NULL,
      name VARCHAR(255) NOT NULL,
      applied_at_ms BIGINT NOT NULL,
      PRIMARY KEY (scope, version)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
  // Read again under the lock: another process may have applied some meanwhile.
  const pending = await pendingMigrations(conn, database, scope, migrations);
  for (const migration of pending) {
    for (const sql of migration.statements(qualifiedTable(database, table))) await conn.query(sql);
    await conn.query(
      `INSERT INTO ${record} (scope, version, name, applied_at_ms) VALUES (?, ?, ?, ?)`,
      [scope, migration.version, migration.name, Date.now()],
    );
  }
  return pending.map((migration) => migration.version);
}

async function pendingMigrations(
  db: Pool | PoolConnection,
  database: string,
  scope: string,
  migrations: readonly Migration[],
): Promise<Migration[]> {
  let applied: Set<number>;
  try {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT version FROM ${qualifiedTable(database, MIGRATIONS_TABLE)} WHERE scope = ?`,
      [scope],
    );
    applied = new Set(rows.map((row) => Number(row.version)));
  } catch (error) {
    // No table yet, or (MySQL) no database yet: everything is pending.
    const code = (error as { code?: string }).code;
    if (code !== 'ER_NO_SUCH_TABLE' && code !== 'ER_BAD_DB_ERROR') throw error;
    applied = new Set();
  }
  return [...migrations]
    .sort((a, b) => a.version - b.version)
    .filter((m) => !applied.has(m.version));
}
