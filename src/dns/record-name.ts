import { DnsInputError } from './dns-input-error';

/**
 * DNS names as Route53 stores them: lowercase, absolute (trailing dot). Labels are 1-63
 * letters, digits and hyphens (not at either end), optionally after one leading underscore
 * (`_mysql._tcp`, `_acme-challenge`); a name is at most 253 characters without its trailing dot
 * (255 bytes on the wire). Pure: throws only DnsInputError.
 */

export const MAX_NAME_LENGTH = 253;
const LABEL = /^_?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `Cache.Example.internal` or `cache.example.internal.` → `cache.example.internal.` */
export function parseDnsName(text: string, what = 'name'): string {
  if (text === '') throw new DnsInputError(`the ${what} is empty`);
  const lower = text.toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (bare === '') throw new DnsInputError(`the ${what} "${text}" has no labels`);
  for (const label of bare.split('.')) checkLabel(label, text, what);
  if (bare.length > MAX_NAME_LENGTH) {
    throw new DnsInputError(
      `the ${what} is ${bare.length} characters long; a DNS name has at most ${MAX_NAME_LENGTH}`,
    );
  }
  return `${bare}.`;
}

function checkLabel(label: string, text: string, what: string): void {
  if (label === '') throw new DnsInputError(`the ${what} "${text}" has an empty label (two dots)`);
  if (label.length > 63) {
    throw new DnsInputError(
      `label "${label.slice(0, 20)}…" of the ${what} is ${label.length} characters long; a label has at most 63`,
    );
  }
  if (!LABEL.test(label)) {
    throw new DnsInputError(
      `label "${label}" of the ${what} is not valid: use letters, digits and hyphens (not first or last), optionally after one leading underscore`,
    );
  }
}

/**
 * The full name of a record in `zone` (absolute): `@` is the zone itself; a name ending with a
 * dot, or with the zone's name, is taken as full and must lie inside the zone; any other name is
 * relative and gets the zone appended.
 */
export function qualifyRecordName(text: string, zone: string): string {
  if (text === '@') return zone;
  const zoneBare = zone.slice(0, -1);
  const lower = text.toLowerCase();
  const absolute = lower.endsWith('.') || lower === zoneBare || lower.endsWith(`.${zoneBare}`);
  if (!absolute) return parseDnsName(`${lower}.${zone}`, 'name');
  const name = parseDnsName(text, 'name');
  if (name !== zone && !name.endsWith(`.${zone}`)) {
    throw new DnsInputError(
      `${name} is not inside the zone ${zone}: give a name relative to the zone (like cache-myapp) or a full name ending in .${zone}`,
    );
  }
  return name;
}

/** `cache.prod.example.internal.` in `prod.example.internal.` → `cache`; the apex is `@`. */
export function relativeName(name: string, zone: string): string {
  if (name === zone) return '@';
  return name.endsWith(`.${zone}`) ? name.slice(0, -zone.length - 1) : name;
}
