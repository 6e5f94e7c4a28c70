import { createHash } from 'node:crypto';
import type { RecordSet } from './record-sets';

/**
 * The confirmation code of a removal: a digest of exactly what was shown (zone, name, type, TTL,
 * values). Confirming with it removes that record set and nothing else; if the record changed
 * in between, the code no longer matches and the user is asked again.
 */
export function removalCode(zoneId: string, set: RecordSet): string {
  const shown = [zoneId, set.name, set.type, set.ttl, ...[...set.values].sort()];
  return createHash('sha256').update(JSON.stringify(shown)).digest('hex').slice(0, 10);
}

export const REMOVAL_CODE_PATTERN = /^[0-9a-f]{10}$/;
