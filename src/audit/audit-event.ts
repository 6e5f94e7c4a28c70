import { randomUUID } from 'node:crypto';
import { redactValue } from '../log/redact';

/**
 * What the audit trail records. Every row names the real actor (the Slack user, never the bot),
 * where and when, the command with its arguments (secrets redacted), the job, the target and a
 * detail object. `prepareEvent` turns an input into the exact strings stored and hashed.
 */

export const AUDIT_EVENT_TYPES = [
  'requested',
  'denied',
  'approval-requested',
  'approved',
  'rejected',
  'expired',
  'started',
  'step-started',
  'step-finished',
  'step-failed',
  'step-recorded',
  'cleanup',
  'succeeded',
  'failed',
  'cancelled',
  'refused',
  /** An emergency that ran without its approval was reviewed by an approver (Reviewed). */
  'reviewed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEventInput {
  type: AuditEventType;
  /** When it happened (epoch ms); now when omitted. A retried event keeps its original time. */
  at?: number;
  /** Idempotency key: an event appended twice with the same id is stored once. */
  eventId?: string;
  /** Who did it: the requester, the approver, the person who cancelled. */
  actor?: { id: string; name?: string };
  channel?: { id: string; name?: string };
  command?: string;
  target?: string;
  jobId?: string;
  step?: string;
  /** The command's arguments; passed through the redaction layer. */
  args?: unknown;
  /** Anything else worth keeping (reason, error, rows copied); redacted too. */
  detail?: unknown;
}

/** An event as stored and hashed: redacted, canonical JSON, cut to the column sizes. */
export interface PreparedEvent {
  eventId: string;
  at: number;
  type: AuditEventType;
  actorId: string | null;
  actorName: string | null;
  channelId: string | null;
  channelName: string | null;
  command: string | null;
  target: string | null;
  jobId: string | null;
  step: string | null;
  argsJson: string | null;
  detailJson: string | null;
}

/** A stored row: its place in the chain and the hashes that link it. */
export interface AuditRow extends PreparedEvent {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Column sizes in characters (code points), as created by the migrations. */
export const COLUMN_LIMITS = {
  eventId: 64,
  actorId: 64,
  actorName: 255,
  channelId: 64,
  channelName: 255,
  command: 128,
  target: 255,
  jobId: 128,
  step: 128,
} as const;

/** Arguments or detail longer than this are stored as a truncated preview. */
export const MAX_JSON_CHARS = 65_536;
const PREVIEW_CHARS = 4096;

export function isAuditEventType(value: unknown): value is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly unknown[]).includes(value);
}

export function prepareEvent(input: AuditEventInput, now = Date.now()): PreparedEvent {
  if (!isAuditEventType(input.type))
    throw new TypeError(`unknown audit event type ${String(input.type)}`);
  const at = input.at ?? now;
  if (!Number.isSafeInteger(at) || at < 0)
    throw new RangeError(`audit event time must be epoch ms, got ${at}`);
  return {
    eventId: cut(input.eventId ?? randomUUID(), 'eventId')!,
    at,
    type: input.type,
    actorId: cut(input.actor?.id, 'actorId'),
    actorName: cut(input.actor?.name, 'actorName'),
    channelId: cut(input.channel?.id, 'channelId'),
    channelName: cut(input.channel?.name, 'channelName'),
    command: cut(input.command, 'command'),
    target: cut(input.target, 'target'),
    jobId: cut(input.jobId, 'jobId'),
    step: cut(input.step, 'step'),
    argsJson: jsonColumn(input.args),
    detailJson: jsonColumn(input.detail),
  };
}

/**
 * Deterministic JSON: object keys sorted, `undefined` and functions left out, dates as ISO
 * strings, bigints as strings, errors as `{ name, message, code? }`, strings well-formed.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(toCanonical(value, new WeakSet())) ?? 'null';
}

function toCanonical(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'boolean' ? value : value === null ? null : undefined;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return toCanonical({ name: value.name, message: value.message, code }, seen);
  }
  if (Array.isArray(value)) return value.map((item) => toCanonical(item, seen) ?? null);
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(value).sort()) {
    const inner = toCanonical((value as Record<string, unknown>)[key], seen);
    if (inner !== undefined) entries.push([wellFormed(key), inner]);
  }
  // fromEntries defines own properties, so a key named `__proto__` stays data.
  return Object.fromEntries(entries);
}

function jsonColumn(value: unknown): string | null {
  if (value === undefined) return null;
  // Canonical first (errors become plain objects the redaction can see into), then redacted.
  const json = canonicalJson(redactValue(toCanonical(value, new WeakSet())));
  if (json.length <= MAX_JSON_CHARS) return json;
  return canonicalJson({
    truncated: true,
    chars: json.length,
    preview: json.slice(0, PREVIEW_CHARS),
  });
}

function cut(value: string | undefined, column: keyof typeof COLUMN_LIMITS): string | null {
  if (value === undefined) return null;
  const chars = Array.from(wellFormed(value));
  const max = COLUMN_LIMITS[column];
  return chars.length <= max ? chars.join('') : chars.slice(0, max).join('');
}

/** Lone surrogates cannot be stored as UTF-8; they become U+FFFD, as the database would. */
function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}
