import { z } from 'zod';

/** Fields several config sections share, with the messages users see when they are wrong. */

/** The NAME of the environment variable that holds a secret (secrets never go in the file). */
export const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (A-Z, 0-9, _)');

/** A Slack channel, by id or by #name. */
export const channelRef = z
  .string()
  .regex(
    /^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{2,20})$/,
    'must be a channel id (C..., G..., D...) or a #name',
  );

/**
 * How a runbook waits for a temporary RDS instance it created (`/restore-table`'s restored
 * instance, `/seed-slave`'s read replica) and copies from it; each section spreads these in.
 */
export const temporaryInstanceFields = {
  /** Instance class of the temporary instance (default: the source's). */
  instanceClass: z.string().min(1).optional(),
  /** How long a job waits for it to become available before giving up. */
  maxWaitMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(180),
  /** How often the job asks RDS (and the servers it watches) while it waits. */
  pollSeconds: z.number().min(0.2).max(300).default(30),
  /** Connections per side copying at once, across all tables. */
  parallelism: z.number().int().min(1).max(16).default(4),
};

/**
 * How opsdeck reaches one MySQL server: `verify-identity` (the default) encrypts, checks the
 * server's certificate against the trusted CAs and checks that it names the host dialled;
 * `required` encrypts and checks the certificate against `caFile` when one is given, but not the
 * name (and nothing at all without `caFile`); `disabled` is plain TCP. `caFile`: PEM file with
 * the CA certificates to trust (read once at startup, relative to the working directory); without
 * it, the public CAs Node trusts and Amazon RDS's CAs (see src/mysql/connection-tls.ts).
 */
export const mysqlTls = z
  .strictObject({
    mode: z.enum(['disabled', 'required', 'verify-identity']).default('verify-identity'),
    caFile: z.string().min(1).optional(),
  })
  .refine((tls) => tls.mode !== 'disabled' || tls.caFile === undefined, {
    path: ['caFile'],
    message: 'is only used with TLS: remove it, or set mode to required or verify-identity',
  });

export type MysqlTlsConfig = z.infer<typeof mysqlTls>;
