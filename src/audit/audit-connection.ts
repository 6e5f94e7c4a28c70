import type { OpsdeckConfig } from '../config/schema';
import { ErrorCode, OpsdeckError } from '../errors';
import { registerSecret } from '../log/redact';

export interface AuditConnection {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  table: string;
}

/** Resolves the audit store's connection from the whole config; the password from the env. */
export function auditConnection(
  config: Pick<OpsdeckConfig, 'mysql' | 'audit'>,
  env: NodeJS.ProcessEnv = process.env,
): AuditConnection {
  const { mysql, audit } = config;
  const passwordEnv =
    audit.user !== undefined ? audit.passwordEnv : (audit.passwordEnv ?? mysql.passwordEnv);
  const password = passwordEnv === undefined ? undefined : env[passwordEnv];
  if (passwordEnv !== undefined && password === undefined) {
    throw new OpsdeckError(
      ErrorCode.SecretMissing,
      `the audit database password is expected in the environment variable ${passwordEnv}, which is not set`,
    );
  }
  registerSecret(password);
  return {
    host: mysql.host,
    port: mysql.port,
    user: audit.user ?? mysql.user,
    password,
    database: audit.database ?? mysql.database,
    table: audit.table,
  };
}
