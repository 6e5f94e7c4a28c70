import { z } from 'zod';
import { envName, mysqlTls } from './config-fields';

/**
 * The `databases` section: the RDS instances commands may act on, by the name users type
 * (`/restore-table billing-prod ...`). The name is also the access target, so rules can differ
 * per database. Credentials: `user` and the environment variable holding its password; the same
 * account is used on instances restored from this one (a restore copies its users).
 *
 *   databases:
 *     billing-prod:
 *       instance: billing-prod-1          # the RDS DBInstanceIdentifier
 *       user: opsdeck
 *       passwordEnv: BILLING_DB_PASSWORD
 *       tls: { mode: verify-identity, caFile: /etc/opsdeck/rds-global-bundle.pem }   # the default mode
 *
 * `tls` holds for the instance and for those restored or replicated from it (RDS gives each a
 * certificate for its own endpoint, signed by the same CAs).
 */

/** The name users type for a database (`/restore-table billing-prod ...`). */
export const DATABASE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

const targetName = z
  .string()
  .regex(
    DATABASE_NAME_PATTERN,
    'must be a database name for commands: a-z, 0-9 and -, starting with a letter',
  );

/** RDS: 1-63 letters, digits or hyphens, starting with a letter, no `--`, no trailing hyphen. */
export const DB_INSTANCE_ID_PATTERN = /^(?!.*--)[A-Za-z][A-Za-z0-9-]{0,62}(?<!-)$/;

export const DatabaseTarget = z.strictObject({
  instance: z
    .string()
    .regex(DB_INSTANCE_ID_PATTERN, 'must be an RDS DB instance identifier')
    .transform((id) => id.toLowerCase()),
  user: z.string().min(1).max(80),
  passwordEnv: envName,
  tls: mysqlTls.prefault({}),
});

export type DatabaseTarget = z.infer<typeof DatabaseTarget>;

export const DatabasesConfig = z.record(targetName, DatabaseTarget).default({});

export type DatabasesConfig = z.infer<typeof DatabasesConfig>;
