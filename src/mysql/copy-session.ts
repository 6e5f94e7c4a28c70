import type { Pool, PoolConnection, RowDataPacket, TypeCast } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import type { TableColumn } from './table-shape';

/** A value as the copy engine carries it: exact text, raw bytes, or NULL. */
export type CopyValue = string | Buffer | null;

/**
 * Reads every value exactly as the server sends it over the text protocol: bytes for binary
 * columns, text for the rest (numbers too, so BIGINT and DECIMAL keep every digit, and dates keep
 * their fractional seconds and zero dates). JSON arrives tagged binary from MySQL and is read as
 * UTF-8 text, so it is inserted as JSON text, not as a binary string.
 */
export function exactTypeCast(columns: TableColumn[]): TypeCast {
  const binary = new Set(columns.filter((c) => c.binary).map((c) => c.name));
  return (field) => {
    if (binary.has(field.name)) return field.buffer();
    return field.type === 'JSON' ? field.string('utf8') : field.string();
  };
}

/**
 * A pooled connection set up for exact copying: UTC session time zone on both sides (TIMESTAMP
 * text means the same instant), utf8mb4 checked (else 4-byte characters would be mangled), and on
 * the destination no foreign key checks (rows arrive in key order, not parent-first) and
 * NO_AUTO_VALUE_ON_ZERO (a 0 in an AUTO_INCREMENT column stays 0), non-strict like mysqldump's
 * loads, so every value the source holds loads; the checksum catches any value that changed.
 *
 * `release` puts the session variables back to their global defaults before the connection goes
 * back to the pool, or destroys it if that fails: a production pool must never get a connection
 * with foreign key checks off.
 */
export async function openCopySession(
  pool: Pool,
  role: 'source' | 'destination',
): Promise<{ conn: PoolConnection; release: () => Promise<void> }> {
  const conn = await pool.getConnection();
  try {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT @@character_set_client AS client, @@character_set_results AS results,
              @@character_set_connection AS connection`,
    );
    const charsets = rows[0] ?? {};
    if (Object.values(charsets).some((charset) => charset !== 'utf8mb4'))
      throw new OpsdeckError(
        ErrorCode.MysqlSessionUnsuitable,
        `the ${role} pool's sessions must use charset utf8mb4, got ${JSON.stringify(charsets)}`,
      );
    await conn.query("SET SESSION time_zone = '+00:00'");
    if (role === 'destination')
      await conn.query(
        "SET SESSION foreign_key_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
      );
  } catch (error) {
    conn.destroy();
    throw error;
  }
  return {
    conn,
    release: async () => {
      try {
        await conn.query(
          'SET SESSION time_zone = DEFAULT, foreign_key_checks = DEFAULT, sql_mode = DEFAULT',
        );
        conn.release();
      } catch {
        conn.destroy();
      }
    },
  };
}

/** The sql_mode definitions are read and replayed under: no mode that changes how SQL is printed. */
export const NEUTRAL_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION';

/**
 * Runs `work` on a connection set up for reading (source) or replaying (destination) schema
 * definitions: a copy session (UTC, so TIMESTAMP defaults print and parse alike; on the
 * destination no foreign key checks) with a neutral sql_mode on both sides, since SHOW CREATE
 * prints differently under ANSI_QUOTES or MariaDB's ORACLE mode, and quoted identifiers. `work`
 * may change the session further (default database, an object's own sql_mode and collation), so
 * the connection is destroyed afterwards instead of going back to the pool.
 */
export async function withSchemaSession<T>(
  pool: Pool,
  role: 'source' | 'destination',
  work: (conn: PoolConnection) => Promise<T>,
): Promise<T> {
  const { conn } = await openCopySession(pool, role);
  try {
    await conn.query('SET SESSION sql_mode = ?, sql_quote_show_create = 1', [NEUTRAL_SQL_MODE]);
    return await work(conn);
  } finally {
    conn.destroy();
  }
}
