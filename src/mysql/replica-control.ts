import mysql from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import type { BinlogCoordinates } from './binlog-coordinates';
import { serverErrno, type Queryable } from './queryable';
import { readReplicaStatus, type ReplicaStatus } from './replica-status';
import {
  changeSourceStatement,
  startReplicaStatement,
  stopReplicaStatement,
  type ReplicationChannelTls,
} from './replication-statements';
import type { ServerFlavor } from './server-flavor';

/** Where a replica is to read from: the source's address and the binlog coordinates to start at. */
export interface SourceCoordinates extends BinlogCoordinates {
  host: string;
  port: number;
}

/** The source's replication account (it needs REPLICATION SLAVE). */
export interface ReplicationCredentials {
  user: string;
  password: string;
}

/** How the replica's channel reaches the source: TLS, and the account's plugin when known. */
export interface ReplicationChannel {
  tls: ReplicationChannelTls;
  authPlugin?: string;
}

/** ER_BAD_SLAVE: "the server is not configured as slave" (MASTER_HOST was never set). */
const NOT_CONFIGURED = 1200;

/**
 * Stops both replication threads. Harmless on a replica already stopped, and on a server never
 * configured as one (MariaDB only notes it; a server that refuses with ER_BAD_SLAVE has nothing
 * to stop either).
 */
export async function stopReplica(db: Queryable, flavor: ServerFlavor): Promise<void> {
  try {
    await db.query(stopReplicaStatement(flavor));
  } catch (error) {
    if (serverErrno(error) !== NOT_CONFIGURED)
      throw sanitisedError('stopping replication', error, []);
  }
}

export async function startReplica(db: Queryable, flavor: ServerFlavor): Promise<void> {
  await runReplicationStatement(db, 'starting replication', startReplicaStatement(flavor), []);
}

/**
 * Points a stopped replica at `at` (file/position mode, see changeSourceStatement) as `credentials`,
 * over `channel`'s TLS.
 * Returns the replica's status from before the change (null if it was none): CHANGE MASTER TO
 * resets its coordinates, so the caller records them first.
 *
 * The password travels as a value; whatever fails, the error thrown carries neither it nor the
 * statement text mysql2 attaches (`.sql`, with the values quoted in).
 */
export async function pointReplicaAt(
  db: Queryable,
  flavor: ServerFlavor,
  at: SourceCoordinates,
  credentials: ReplicationCredentials,
  channel: ReplicationChannel,
): Promise<ReplicaStatus | null> {
  const before = await readReplicaStatus(db, flavor);
  const { sql, values } = changeSourceStatement(flavor, { ...at, ...credentials, ...channel });
  await runReplicationStatement(db, 'pointing the replica at its source', sql, values, [
    credentials.password,
  ]);
  return before;
}

/** Errors of the connection rather than the statement: worth trying again. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
]);

/**
 * Runs a replication statement; a failure becomes an OpsdeckError (ReplicationStatementFailed)
 * with the server's error number and text, scrubbed of `secrets` in every form the text may hold
 * them. A syntax error's text is withheld altogether: it quotes the statement from the error on,
 * cut at some length, so it may hold part of a secret. No cause is chained: mysql2's error holds
 * the statement with its values.
 */
export async function runReplicationStatement(
  db: Queryable,
  what: string,
  sql: string,
  values: unknown[],
  secrets: string[] = [],
): Promise<void> {
  try {
    await db.query(sql, values);
  } catch (error) {
    throw sanitisedError(what, error, secrets);
  }
}

export function sanitisedError(what: string, error: unknown, secrets: string[]): OpsdeckError {
  const errno = serverErrno(error);
  const code = (error as { code?: unknown } | null)?.code;
  const raw =
    (error as { sqlMessage?: unknown } | null)?.sqlMessage ??
    (error instanceof Error ? error.message : String(error));
  const text =
    errno === 1064
      ? 'the server could not parse the statement (its text is withheld: it quotes the statement, secrets included)'
      : scrub(String(raw), secrets);
  const tag = [
    errno === undefined ? null : `errno ${errno}`,
    typeof code === 'string' ? code : null,
  ]
    .filter(Boolean)
    .join(', ');
  return new OpsdeckError(
    ErrorCode.ReplicationStatementFailed,
    `${what} failed: ${text}${tag ? ` (${tag})` : ''}`,
    { retryable: typeof code === 'string' && CONNECTION_ERRORS.has(code) },
  );
}

/** Replaces each secret, as is and as quoted into SQL (escaped, with or without quotes), by ***. */
export function scrub(text: string, secrets: string[]): string {
  const forms = secrets
    .filter((secret) => secret.length > 0)
    .flatMap((secret) => {
      const quoted = mysql.escape(secret);
      return [quoted, quoted.slice(1, -1), secret, JSON.stringify(secret).slice(1, -1)];
    })
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const form of forms) result = result.split(form).join('***');
  return result;
}

/**
 * Stops an RDS read replica with `CALL mysql.rds_stop_replication` (RDS refuses STOP SLAVE to its
 * users) and returns its status then: its data is still and matches its source at `executed`
 * (Relay_Master_Log_File / Exec_Master_Log_Pos), not at `read`. `name` is for the error when its
 * SQL thread still runs.
 */
export async function stopRdsReplica(db: Queryable, name: string): Promise<ReplicaStatus> {
  await db.query('CALL mysql.rds_stop_replication');
  const status = await readReplicaStatus(db);
  if (status === null || status.sqlRunning !== 'No')
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `\`${name}\` still applies changes after mysql.rds_stop_replication (SQL thread ${status?.sqlRunning ?? 'unknown'})`,
    );
  return status;
}
