import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../audit-event';

/**
 * An audit digest, in the manner of CloudTrail's digest files: one JSON object that says "at
 * time `at`, the trail `trail` had `seq` rows and its head row's hash was `hash`", names the
 * digest before it and the SHA-256 of that digest's bytes (so digests form a chain of their own
 * and a deleted one is noticed), and is signed with Ed25519 by the key `keyId`.
 *
 * The signature covers the canonical JSON (audit-event.ts: keys sorted, no spaces) of every field but
 * `signature`; the file is the canonical JSON of all of them and a newline. Anyone can check a
 * digest with the public key; nobody without the private key can make one that checks.
 */

export const DIGEST_VERSION = 'opsdeck.audit.digest.v1';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits');

const SignedDigestSchema = z.strictObject({
  version: z.literal(DIGEST_VERSION),
  trail: z.string().min(1).max(200),
  seq: z.number().int().min(0),
  hash: hex64,
  at: z.iso.datetime(),
  previous: z.strictObject({ name: z.string().min(1).max(1024), hash: hex64 }).nullable(),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature'),
});

export type SignedDigest = z.infer<typeof SignedDigestSchema>;
export type DigestBody = Omit<SignedDigest, 'signature'>;

export function signDigest(
  body: DigestBody,
  privateKey: KeyObject,
): { digest: SignedDigest; bytes: Buffer } {
  const signature = sign(null, Buffer.from(canonicalJson(body), 'utf8'), privateKey).toString(
    'base64',
  );
  const digest: SignedDigest = { ...body, signature };
  return { digest, bytes: Buffer.from(`${canonicalJson(digest)}\n`, 'utf8') };
}

export function signatureValid(digest: SignedDigest, publicKey: KeyObject): boolean {
  const { signature, ...body } = digest;
  return verify(
    null,
    Buffer.from(canonicalJson(body), 'utf8'),
    publicKey,
    Buffer.from(signature, 'base64'),
  );
}

/** The digest in a file's bytes, or why it is not one. */
export function parseDigest(bytes: Buffer): { digest: SignedDigest } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { error: 'is not JSON' };
  }
  const parsed = SignedDigestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `is not a digest (${issue.path.join('.') || 'top level'}: ${issue.message})` };
  }
  return { digest: parsed.data };
}

/** SHA-256 of a digest file's bytes: what the next digest's `previous.hash` holds. */
export function fileHash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `<prefix>/2025/11/21/20251121T160000.123Z-000000000042.json`: listed in key order (S3's
 * ListObjectsV2, a sorted directory walk), digests come in the order they were written, since each
 * digest's time is after the one before it.
 */
export function digestName(prefix: string, at: string, seq: number): string {
  const iso = new Date(at).toISOString();
  const compact = iso.replace(/[-:]/g, '');
  return `${prefix}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${compact}-${String(seq).padStart(12, '0')}.json`;
}
