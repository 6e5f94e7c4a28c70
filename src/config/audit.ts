import { z } from 'zod';
import { envName } from './config-fields';
import { AuditAnchorConfig } from './audit-anchor';

/**
 * The `audit` section: where the audit trail lives. The server (host, port) is the platform's
 * `mysql` section; database, account and password default to it too. The audit account needs
 * only INSERT and SELECT on the audit table once the migrations are applied (see migrations.ts).
 */

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be a MySQL identifier (letters, digits, _; at most 64)');

export const AuditConfig = z.strictObject({
  /** Database holding the audit table; `mysql.database` when unset. */
  database: identifier.optional(),
  table: identifier.default('audit_events'),
  /** The audit store's own account; `mysql.user` / `mysql.passwordEnv` when unset. */
  user: z.string().min(1).optional(),
  passwordEnv: envName.optional(),
  /** How long an append waits for the chain lock (GET_LOCK) held by another writer. */
  lockTimeoutSeconds: z.number().min(0.1).max(60).default(5),
  connectTimeoutMs: z.number().int().min(100).default(5000),
  /** Per-query limit, so a hung server refuses commands instead of hanging them. */
  queryTimeoutMs: z.number().int().min(100).default(5000),
  /** Backoff of the spool of job events while the audit database is unreachable. */
  retryBaseDelayMs: z.number().int().min(1).default(500),
  retryMaxDelayMs: z.number().int().min(1).default(30_000),
  /** Signed digests of the trail's head outside the database (off when unset). */
  anchor: AuditAnchorConfig.optional(),
});

export type AuditConfig = z.infer<typeof AuditConfig>;
