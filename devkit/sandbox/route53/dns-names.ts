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

/** Sort key of Route53 listings: labels in reverse (com.example.www), as Route53 orders them. */
export function reversedName(name: string): string {
  return name.split('.').filter(Boolean).reverse().join('.');
}

export function isInZone(name: string, zoneName: string): boolean {
  return name === zoneName || name.endsWith(`.${zoneName}`);
}
