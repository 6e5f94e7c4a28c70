import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';

/**
 * MACs over records that processes hand each other through Redis (queued jobs, checkpoints,
 * approvals and their decisions, cancel requests, outbox entries, the audit spool), so that
 * whoever can write to Redis but does not hold the key cannot make a process act on a record
 * it did not write.
 *
 * A MAC is HMAC-SHA256 over the RFC 8785 canonical JSON of `{ purpose, record }` (keys sorted,
 * numbers and strings in one spelling), so the same record read back from Redis checks however
 * its JSON was laid out, and a MAC made for one purpose never checks for another. It is written
 * `v1.<key id>.<base64url>`; the key id (a hash of the key, not the key) tells which key made it,
 * so a previous key can still be accepted while every process moves to a new one.
 */

/** Kinds of records, each a domain of its own: a MAC for one kind never checks as another. */
export type WorkPurpose =
  | 'job'
  | 'checkpoint'
  | 'approval'
  | 'approval-decision'
  | 'cancel'
  | 'outbox-entry'
  | 'outbox-thread'
  | 'audit-spool'
  | 'review'
  | 'modal';

/** Shorter keys are refused: 32 characters of `openssl rand -base64 32` carry 192 bits or more. */
export const MIN_KEY_LENGTH = 32;

export type MacCheck =
  { ok: true; keyId: string; previousKey: boolean } | { ok: false; reason: MacFailure };

export type MacFailure = 'missing' | 'malformed' | 'unknown-key' | 'mismatch' | 'not-json';

const FORMAT = /^v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

interface Key {
  id: string;
  secret: Buffer;
}

export class WorkSigner {
  private readonly current: Key;
  private readonly previous: Key | undefined;

  /** `current` signs and checks; `previous` (while keys are rotated) only checks. */
  constructor(current: string, previous?: string) {
    this.current = keyOf(current, 'current');
    this.previous = previous === undefined ? undefined : keyOf(previous, 'previous');
    if (this.previous?.id === this.current.id) this.previous = undefined;
  }

  /** Which key signs: for logs and the README's rotation steps (never the key itself). */
  get keyId(): string {
    return this.current.id;
  }

  sign(purpose: WorkPurpose, record: unknown): string {
    return `v1.${this.current.id}.${mac(this.current.secret, purpose, record)}`;
  }

  check(purpose: WorkPurpose, record: unknown, signature: unknown): MacCheck {
    if (signature === undefined || signature === null || signature === '') {
      return { ok: false, reason: 'missing' };
    }
    const parts = typeof signature === 'string' ? FORMAT.exec(signature) : null;
    if (!parts) return { ok: false, reason: 'malformed' };
    const [, keyId, given] = parts as unknown as [string, string, string];
    const key = [this.current, this.previous].find((k) => k?.id === keyId);
    if (!key) return { ok: false, reason: 'unknown-key' };
    let expected: string;
    try {
      expected = mac(key.secret, purpose, record);
    } catch {
      return { ok: false, reason: 'not-json' };
    }
    const same = timingSafeEqual(Buffer.from(expected), Buffer.from(given));
    return same
      ? { ok: true, keyId, previousKey: key !== this.current }
      : { ok: false, reason: 'mismatch' };
  }
}

/** What each failure means, for refusals in Slack and the audit trail. */
export function describeMacFailure(failure: MacFailure): string {
  switch (failure) {
    case 'missing':
      return 'it carries no MAC';
    case 'malformed':
      return 'its MAC is malformed';
    case 'unknown-key':
      return 'its MAC was made with a key this process does not hold';
    case 'mismatch':
      return 'its MAC does not match its content (forged, or changed after it was written)';
    case 'not-json':
      return 'its content is not plain JSON';
  }
}

/** The exact bytes a MAC covers, for tests and for anyone checking by hand. */
export function signedText(purpose: WorkPurpose, record: unknown): string {
  return canonicalize({ purpose, record });
}

function mac(secret: Buffer, purpose: WorkPurpose, record: unknown): string {
  return createHmac('sha256', secret).update(signedText(purpose, record)).digest('base64url');
}

function keyOf(text: string, which: string): Key {
  if (text.length < MIN_KEY_LENGTH) {
    throw new RangeError(
      `the ${which} queue signing key is ${text.length} characters; at least ${MIN_KEY_LENGTH} are needed`,
    );
  }
  const secret = Buffer.from(text, 'utf8');
  const id = createHash('sha256')
    .update('opsdeck work key id\0')
    .update(secret)
    .digest('hex')
    .slice(0, 16);
  return { id, secret };
}
