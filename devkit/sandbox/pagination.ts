import { invalidParameterValue } from './aws-error';

/**
 * One page of a listing, for the APIs that page (RDS Marker/MaxRecords, EC2 NextToken/MaxResults).
 * The token is opaque to callers; here it is the offset of the next item.
 */
export function page<T>(
  items: T[],
  token: string | undefined,
  size: number,
): { items: T[]; next: string | undefined } {
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0)
    throw invalidParameterValue('Invalid pagination token');
  const end = start + size;
  return {
    items: items.slice(start, end),
    next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

/** The requested page size, checked against the API's bounds. */
export function pageSize(
  requested: number | undefined,
  name: string,
  bounds: { min: number; max: number },
): number {
  if (requested === undefined) return bounds.max;
  if (!Number.isInteger(requested) || requested < bounds.min || requested > bounds.max) {
    throw invalidParameterValue(
      `Invalid value for ${name}: must be between ${bounds.min} and ${bounds.max}`,
    );
  }
  return requested;
}
