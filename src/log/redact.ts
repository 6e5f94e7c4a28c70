/**
 * The redaction layer shared by logs, Slack messages and the audit trail.
 *
 * Secrets are known by value: at startup every secret read from the environment is registered
 * here, and `redactText` replaces any occurrence of it. Known secret shapes (Slack tokens, AWS
 * access keys, `password=...` pairs, URL credentials) are masked even when they were never
 * registered, so a secret that arrives some other way (pasted by a user, echoed by a tool) is
 * still caught.
 */
export const REDACTED = '[REDACTED]';

const registered = new Set<string>();

/** Secrets shorter than this are not registered: masking "1" everywhere would destroy text. */
const MIN_SECRET_LENGTH = 6;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) registered.add(value);
}

/** For tests: forget every registered secret. */
export function clearRegisteredSecrets(): void {
  registered.clear();
}

/**
 * Secret shapes, each matched forward from a literal or a boundary (no lookbehind with an
 * unbounded quantifier, which would rescan a long run of blanks at every position): a match's
 * first group is kept, the rest of it masked.
 */
const PATTERNS: RegExp[] = [
  /()\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack bot/user/app tokens
  /()\bxapp-[A-Za-z0-9-]{10,}/g, // Slack app-level tokens
  /()\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, // AWS access key ids
  /(\b(?:password|passwd|pwd|secret|token|secret_access_key|aws_secret_access_key)\s*[=:]\s*)(["']?)[^\s"',;]+\2/gi,
  /((?<![a-z0-9+.-])[a-z0-9+.-]+:\/\/[^:/@\s]+:)[^@/\s]+(?=@)/gi, // scheme://user:PASSWORD@host
  // CHANGE MASTER TO … MASTER_PASSWORD='…' / CHANGE REPLICATION SOURCE TO … SOURCE_PASSWORD='…',
  // where a quote inside the literal is written '' or \'.
  /((?:MASTER|SOURCE)_PASSWORD\s*=\s*)'(?:[^'\\]|\\.|'')*'/gi,
];

export function redactText(text: string): string {
  let out = text;
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const pattern of PATTERNS) out = out.replace(pattern, `$1${REDACTED}`);
  return out;
}

/** Keys whose values are secrets whatever they hold. */
const SECRET_KEY = /(password|passwd|secret|token|authorization|cookie|credential|private_?key)/i;

/** A deep copy with secret-named keys masked and every string passed through `redactText`. */
export function redactValue<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value as object)) return '[Circular]' as T;
  seen.add(value as object);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen)) as T;
  if (value instanceof Date) return value;
  if (value instanceof Error) return redactValue(errorFields(value), seen) as T;
  // fromEntries defines own properties, so a key named `__proto__` stays data.
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
      key,
      SECRET_KEY.test(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean'
        ? REDACTED
        : redactValue(inner, seen),
    ]),
  ) as T;
}

/** An Error's message, stack and cause are not enumerable: copy them out so they survive. */
function errorFields(error: Error): Record<string, unknown> {
  return {
    type: error.name,
    message: error.message,
    ...(error.stack ? { stack: error.stack } : {}),
    ...Object.fromEntries(Object.entries(error)),
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
  };
}
