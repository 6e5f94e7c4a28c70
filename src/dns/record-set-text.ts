import { relativeName } from './record-name';
import type { RecordSet } from './record-sets';

/** How a record set reads in Slack: `cache-myapp` CNAME 60 → `x.cache.amazonaws.com.` */
export function recordSetText(set: Pick<RecordSet, 'type' | 'ttl' | 'values' | 'alias'>): string {
  if (set.alias !== undefined) return `${set.type} alias → \`${set.alias}\``;
  return `${set.type} ${set.ttl} → ${set.values.map((value) => `\`${value}\``).join(', ')}`;
}

/** One line of a listing: the name relative to the zone, then the record. */
export function recordSetLine(set: RecordSet, zone: string): string {
  return `\`${relativeName(set.name, zone)}\` ${recordSetText(set)}`;
}
