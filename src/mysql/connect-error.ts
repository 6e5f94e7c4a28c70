import { ErrorCode, OpsdeckError } from '../errors';
import type { MysqlTls } from './connection-tls';
import { serverErrno } from './queryable';

/** Which connection failed: its name in the config (`databases.billing`) and where it dialled. */
export interface ConnectionIdentity {
  name: string;
  host: string;
  port: number;
  tls: Pick<MysqlTls, 'mode' | 'trusts'>;
}

/** MySQL's ER_SECURE_TRANSPORT_REQUIRED (MariaDB answers a plain connection with 1045 instead). */
const SECURE_TRANSPORT_REQUIRED = 3159;

/**
 * OpenSSL's verification messages that mean "not signed by a CA this connection trusts" (Node
 * keeps only the message once mysql2 has replaced its code with HANDSHAKE_SSL_ERROR).
 */
const UNKNOWN_CA =
  /self[- ]signed certificate|unable to get (?:local )?issuer certificate|unable to verify the first certificate|certificate not trusted|certificate signature failure/i;

/**
 * A failure to connect, as an error naming the connection and what went wrong with TLS: an
 * unknown CA, a certificate for another name, a server without TLS, a server that requires it,
 * or another TLS failure (an expired certificate). Any other error is returned as it is. The
 * original error is the cause (it carries no password).
 */
export function describeConnectFailure(error: unknown, connection: ConnectionIdentity): unknown {
  if (error instanceof OpsdeckError) return error;
  const { name, host, port, tls } = connection;
  const where = `MySQL connection ${name} (${host}:${port})`;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const fail = (errorCode: ErrorCode, text: string) =>
    new OpsdeckError(errorCode, `${where}: ${text}`, { cause: error });

  if (code === 'HANDSHAKE_NO_SSL_SUPPORT')
    return fail(
      ErrorCode.MysqlTlsNotOffered,
      `the server does not offer TLS and tls.mode is ${tls.mode}: give the server a certificate (ssl_cert, ssl_key), or set tls.mode: disabled only for a server reached over a network you trust`,
    );
  if (serverErrno(error) === SECURE_TRANSPORT_REQUIRED)
    return fail(
      ErrorCode.MysqlTlsRequiredByServer,
      `the server accepts only TLS connections (require_secure_transport=ON) and tls.mode is disabled: set tls.mode: verify-identity (and tls.caFile)`,
    );
  if (code !== 'HANDSHAKE_SSL_ERROR') return error;
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === 'string' || /does not match certificate's altnames/i.test(message))
    return fail(
      ErrorCode.MysqlTlsNameMismatch,
      `the server's certificate does not name ${host} (${typeof reason === 'string' ? reason : message}); connect by a name the certificate holds (an RDS endpoint, not its IP address)`,
    );
  if (UNKNOWN_CA.test(message))
    return fail(
      ErrorCode.MysqlTlsUnknownCa,
      `the server's certificate is not signed by a CA this connection trusts (${message}); trusted: ${tls.trusts}`,
    );
  return fail(ErrorCode.MysqlTlsFailed, `TLS failed: ${message}`);
}
