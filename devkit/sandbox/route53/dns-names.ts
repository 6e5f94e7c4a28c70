import { AwsError } from '../aws-error';

/** Route53 stores names lowercase with a trailing dot; input may omit the dot. */
export function normalizeDnsName(name: string): string {
  const lower = name.trim().toLowerCase();
  const absolute = lower.endsWith('.') ? lower : `${lower}.`;
  const labels = absolute.slice(0, -1).split('.');
  if (absolute.length > 255 || labels.some((label) => label.length === 0 || label.length > 63)) {
    throw new AwsError('InvalidInput', `Invalid domain name: ${name}`);
  }
  return absolute;
}

/**
 * Sort key of Route53 listings: labels in reverse (com, example, www), as Route53 orders them,
 * joined by a character below any a name may hold, so that a name sorts before its subdomains.
 * Compare keys by code unit (`compareKeys`), not by locale, which ignores such characters.
 */
export function reversedName(name: string): string {
  return name.split('.').filter(Boolean).reverse().join('\u0001');
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isInZone(name: string, zoneName: string): boolean {
  return name === zoneName || name.endsWith(`.${zoneName}`);
}
