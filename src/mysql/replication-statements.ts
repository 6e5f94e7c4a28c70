import { ErrorCode, OpsdeckError } from '../errors';
import { checkCoordinates, type BinlogCoordinates } from './binlog-coordinates';
import { isAtLeast, type ServerFlavor } from './server-flavor';

/**
 * The replication statements each server understands, chosen by version rather than by trying one
 * and falling back: MySQL 8.0.22 brought SHOW REPLICA STATUS / START REPLICA / STOP REPLICA (with
 * Replica_* and Source_* columns), 8.0.23 CHANGE REPLICATION SOURCE TO, 8.2 SHOW BINARY LOG STATUS;
 * MySQL 8.4 removed the old forms. MariaDB (every version) takes the old forms and keeps the old
 * column names even under its 10.5+ aliases, so it always gets them.
 */
const usesReplicaWords = (flavor: ServerFlavor) => isAtLeast(flavor, 'mysql', [8, 0, 22]);

export function replicaStatusStatement(flavor: ServerFlavor): string {
  return usesReplicaWords(flavor) ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS';
}

export function startReplicaStatement(flavor: ServerFlavor): string {
  return usesReplicaWords(flavor) ? 'START REPLICA' : 'START SLAVE';
}

export function stopReplicaStatement(flavor: ServerFlavor): string {
  return usesReplicaWords(flavor) ? 'STOP REPLICA' : 'STOP SLAVE';
}

/** The source's own binlog position: SHOW MASTER STATUS, SHOW BINARY LOG STATUS on MySQL 8.2+. */
export function sourceStatusStatement(flavor: ServerFlavor): string {
  return isAtLeast(flavor, 'mysql', [8, 2, 0]) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
}

/** How the replica reaches its source (`replicas.<name>.sourceTls` and `sourceCaFile`). */
export interface ReplicationChannelTls {
  mode: 'disabled' | 'required' | 'verify-identity';
  /** Path ON THE REPLICA HOST of the CA bundle that signs the source's certificate. */
  caFile?: string;
}

export interface ChangeSourceInput extends BinlogCoordinates {
  host: string;
  port: number;
  user: string;
  password: string;
  tls: ReplicationChannelTls;
  /** The replication account's plugin on the source (mysql.user.plugin), when known. */
  authPlugin?: string;
}

/**
 * The statement that points a replica at `host:port` from binlog coordinates `file:pos`, with
 * every value a parameter (the password never becomes SQL text here; mysql2 quotes it when it
 * sends the statement, so errors carrying `.sql` must be sanitised: see replica-control.ts).
 *
 * File/position mode is explicit, whatever the replica did before:
 * - MariaDB: MASTER_USE_GTID=no. Checked on 10.11: a replica that used GTID before (Using_Gtid
 *   Slave_Pos, the default since 10.10) given coordinates *and* MASTER_USE_GTID=slave_pos ignores
 *   the coordinates with only a Note (1618 "<MASTER_LOG_FILE> option ignored") and would resume
 *   from its old GTID position; coordinates alone switch it to No with a Note (4190). Saying `no`
 *   states the mode instead of relying on an inference that changed across versions.
 * - MySQL: SOURCE_AUTO_POSITION=0 (MASTER_AUTO_POSITION before 8.0.23). With auto-position on,
 *   MySQL refuses coordinates (error 1777); setting 0 is accepted whether or not GTIDs are on.
 *   MySQL 5.5 has no auto-position: nothing to turn off.
 *
 * TLS is explicit too (CHANGE MASTER TO keeps every option it is not given, and the defaults
 * differ by version): SSL on or off, the CA file (a path on the replica host, a parameter; empty
 * when none), and whether the replica checks the source's certificate and name
 * (SSL_VERIFY_SERVER_CERT, on with `verify-identity`). On MySQL 8.0.4+ GET_SOURCE_PUBLIC_KEY
 * (GET_MASTER_PUBLIC_KEY before 8.0.23) is 1 exactly when a caching_sha2_password account
 * replicates without TLS: it then needs the source's RSA public key to send its password.
 */
export function changeSourceStatement(
  flavor: ServerFlavor,
  input: ChangeSourceInput,
): { sql: string; values: unknown[] } {
  checkCoordinates(input);
  if (input.host.trim() === '' || input.host.length > 255)
    throw new OpsdeckError(ErrorCode.InputInvalid, 'the source host must be 1-255 characters');
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535)
    throw new OpsdeckError(ErrorCode.InputInvalid, `not a TCP port: ${String(input.port)}`);
  if (input.user === '' || input.user.length > 80)
    throw new OpsdeckError(ErrorCode.InputInvalid, 'the replication user must be 1-80 characters');
  if (input.password === '')
    throw new OpsdeckError(ErrorCode.InputInvalid, 'the replication password is empty');
  const { tls } = input;
  if (tls.mode === 'verify-identity' && !tls.caFile)
    throw new OpsdeckError(
      ErrorCode.InputInvalid,
      "verifying the source's certificate needs the CA file's path on the replica host",
    );
  if (tls.mode === 'disabled' && tls.caFile)
    throw new OpsdeckError(ErrorCode.InputInvalid, 'a CA file without TLS');
  if (tls.caFile !== undefined && (tls.caFile.length > 512 || /[\0\r\n]/.test(tls.caFile)))
    throw new OpsdeckError(ErrorCode.InputInvalid, 'the CA file path must be 1-512 characters');

  const words = isAtLeast(flavor, 'mysql', [8, 0, 23])
    ? { statement: 'CHANGE REPLICATION SOURCE TO', prefix: 'SOURCE' }
    : { statement: 'CHANGE MASTER TO', prefix: 'MASTER' };
  const p = words.prefix;
  const mode =
    flavor.product === 'mariadb'
      ? [`${p}_USE_GTID = no`]
      : isAtLeast(flavor, 'mysql', [5, 6, 0])
        ? [`${p}_AUTO_POSITION = 0`]
        : [];
  const encrypted = tls.mode !== 'disabled';
  const publicKey = isAtLeast(flavor, 'mysql', [8, 0, 4])
    ? [
        `GET_${p}_PUBLIC_KEY = ${!encrypted && input.authPlugin === 'caching_sha2_password' ? 1 : 0}`,
      ]
    : [];
  const assignments = [
    `${p}_HOST = ?`,
    `${p}_PORT = ?`,
    `${p}_USER = ?`,
    `${p}_PASSWORD = ?`,
    `${p}_LOG_FILE = ?`,
    `${p}_LOG_POS = ?`,
    ...mode,
    `${p}_SSL = ${encrypted ? 1 : 0}`,
    `${p}_SSL_CA = ?`,
    `${p}_SSL_VERIFY_SERVER_CERT = ${tls.mode === 'verify-identity' ? 1 : 0}`,
    ...publicKey,
  ];
  return {
    sql: `${words.statement} ${assignments.join(', ')}`,
    values: [
      input.host,
      input.port,
      input.user,
      input.password,
      input.file,
      input.pos,
      tls.caFile ?? '',
    ],
  };
}
