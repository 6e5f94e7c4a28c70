import { shellQuote } from '../config/command-template';
import { code, codeBlock, md, type Mrkdwn } from '../slack/mrkdwn';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { recordSetsAt, type RecordSet } from './record-sets';

/**
 * Negative caching (RFC 2308): a resolver that asks for a name before its record exists caches
 * "does not exist" for min(SOA TTL, SOA minimum) seconds, the minimum being the SOA's last
 * field. Route53 creates zones with TTL 900 and minimum 86400, i.e. 900 s: a service that looks
 * up its endpoint a moment too early keeps failing for 15 minutes.
 */
export interface NegativeTtl {
  seconds: number;
  soaTtl: number;
  soaMinimum: number;
}

export function negativeTtl(soa: RecordSet): NegativeTtl | undefined {
  const fields = soa.values[0]?.trim().split(/\s+/) ?? [];
  const minimum = Number(fields[6]);
  if (soa.type !== 'SOA' || fields.length !== 7 || !Number.isInteger(minimum)) return undefined;
  return { seconds: Math.min(soa.ttl, minimum), soaTtl: soa.ttl, soaMinimum: minimum };
}

/**
 * The warning when the negative TTL is above `limit` seconds, with the exact fix: the zone's
 * SOA UPSERTed with the same fields and a last field of `limit`; undefined when it is fine.
 */
export function negativeTtlWarning(
  zone: { id: string; name: string },
  soa: RecordSet,
  limit: number,
): Mrkdwn | undefined {
  const ttl = negativeTtl(soa);
  if (!ttl || ttl.seconds <= limit) return undefined;
  const fields = soa.values[0]!.trim().split(/\s+/);
  const fixed = [...fields.slice(0, 6), String(limit)].join(' ');
  const batch = {
    Comment: 'lower the negative-caching TTL',
    Changes: [
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: zone.name,
          Type: 'SOA',
          TTL: soa.ttl,
          ResourceRecords: [{ Value: fixed }],
        },
      },
    ],
  };
  const command = `aws route53 change-resource-record-sets --hosted-zone-id ${zone.id} --change-batch ${shellQuote(JSON.stringify(batch))}`;
  return md`:warning: *Negative caching*: zone ${code(zone.name)} caches "does not exist" for ${ttl.seconds} s (min of SOA TTL ${ttl.soaTtl} and its last field ${ttl.soaMinimum}). A host that looks a name up before its record has propagated keeps failing that long.
Fix: UPSERT the SOA with a last field of ${limit} (the other fields unchanged):
${codeBlock(command)}`;
}

/** The zone's warning as its SOA reads in Route53 now (undefined: fine, or no SOA). */
export async function zoneNegativeTtlWarning(
  route53: Route53Client,
  zone: { id: string; name: string },
  limit: number,
  signal?: AbortSignal,
): Promise<Mrkdwn | undefined> {
  const sets = await recordSetsAt(route53, zone.id, zone.name, signal);
  const soa = sets.find((set) => set.type === 'SOA');
  return soa && negativeTtlWarning(zone, soa, limit);
}
