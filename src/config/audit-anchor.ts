import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, OpsdeckError } from '../errors';
import { parsePublicKey } from './audit-signing-key';
import { channelRef, envName } from './config-fields';

/**
 * `audit.anchor`: signed digests of the audit trail's head, written outside the audit database
 * (see src/audit/anchor/anchor-writer.ts). Off unless configured.
 */

const keyPrefix = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    'must be path segments of letters, digits, _ . - separated by /',
  )
  .refine((text) => !text.split('/').some((part) => part === '.' || part === '..'), {
    message: 'must not contain . or .. segments',
  });

export const S3SinkConfig = z.strictObject({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 a-z 0-9 . -)'),
  /**
   * Object Lock on each digest (the bucket must have been created with Object Lock enabled):
   * COMPLIANCE keeps it from being overwritten or deleted by anyone, root included, until
   * `retainDays` have passed.
   */
  objectLock: z
    .strictObject({
      mode: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
      retainDays: z.number().int().min(1).max(36_500),
    })
    .optional(),
});

export const AuditAnchorConfig = z
  .strictObject({
    /** The environment variable holding the Ed25519 private key; read by workers only. */
    signingKeyEnv: envName.default('OPSDECK_AUDIT_SIGNING_KEY'),
    /** The matching public key (SPKI, PEM or base64 DER), as `opsdeck audit keygen` prints it. */
    publicKey: z.string().min(1).optional(),
    /** Or a file holding it (console mode generates its own pair under .local/). */
    publicKeyFile: z.string().min(1).optional(),
    /** Where the digests go: an S3 bucket, or a directory (another disk, a WORM mount). */
    sink: z.union([
      z.strictObject({ s3: S3SinkConfig }),
      z.strictObject({ directory: z.string().min(1) }),
    ]),
    /** Digest names start with this (`<prefix>/<yyyy>/<mm>/<dd>/…`). */
    prefix: keyPrefix.default('opsdeck-audit-digests'),
    /** A digest at least this often while a worker runs, even when no row was added. */
    intervalMinutes: z
      .number()
      .min(0.05)
      .max(24 * 60)
      .default(60),
    /** Where each new head hash is posted (a copy outside both the database and the sink). */
    channel: channelRef.optional(),
    /** Backoff of a failed digest write; it is retried until it succeeds. */
    retryBaseDelayMs: z.number().int().min(1).default(2000),
    retryMaxDelayMs: z.number().int().min(1).default(300_000),
  })
  .superRefine((anchor, ctx) => {
    if ((anchor.publicKey === undefined) === (anchor.publicKeyFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicKey'],
        message: 'give exactly one of publicKey and publicKeyFile',
      });
      return;
    }
    if (anchor.publicKey !== undefined) {
      try {
        parsePublicKey(anchor.publicKey, 'audit.anchor.publicKey');
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['publicKey'],
          message: (error as Error).message,
          // Never echo it: it may be a private key pasted in the wrong place.
          params: { secret: true },
        });
      }
    }
  });

export type AuditAnchorConfig = z.infer<typeof AuditAnchorConfig>;

/** The configured public key (read from `publicKeyFile` now, when that is how it is given). */
export function anchorPublicKey(anchor: AuditAnchorConfig): KeyObject {
  if (anchor.publicKey !== undefined) {
    return parsePublicKey(anchor.publicKey, 'audit.anchor.publicKey');
  }
  const file = anchor.publicKeyFile!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpsdeckError(
      ErrorCode.AuditKeyInvalid,
      `cannot read audit.anchor.publicKeyFile ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return parsePublicKey(text, `audit.anchor.publicKeyFile ${file}`);
}

export function intervalMs(anchor: AuditAnchorConfig): number {
  return Math.round(anchor.intervalMinutes * 60_000);
}
