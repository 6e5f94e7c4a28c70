import {
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';

/** A plain (non-alias) record set as `/phz` reads and writes it. */
export interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
  /** Alias records (to a load balancer...) have no values; `/phz` shows them, never changes them. */
  alias?: string;
}

function toRecordSet(set: ResourceRecordSet): RecordSet {
  return {
    name: set.Name!.toLowerCase(),
    type: set.Type!,
    ttl: set.TTL ?? 0,
    values: (set.ResourceRecords ?? []).map((record) => record.Value!),
    ...(set.AliasTarget && { alias: set.AliasTarget.DNSName! }),
  };
}

/** Every record set with exactly this name (one per type). */
export async function recordSetsAt(
  route53: Route53Client,
  zoneId: string,
  name: string,
  signal?: AbortSignal,
): Promise<RecordSet[]> {
  // Listing starts at the name; the sets of one name are contiguous and few (one per type).
  const page = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      StartRecordName: name,
      MaxItems: 50,
    }),
    { abortSignal: signal },
  );
  return (page.ResourceRecordSets ?? []).map(toRecordSet).filter((set) => set.name === name);
}

/** The zone's record sets that `keep` accepts, in Route53's order; at most `limit` of them. */
export async function listRecordSets(
  route53: Route53Client,
  zoneId: string,
  keep: (set: RecordSet) => boolean,
  limit: number,
): Promise<{ sets: RecordSet[]; truncated: boolean }> {
  const sets: RecordSet[] = [];
  let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type'] } = {};
  for (;;) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start, MaxItems: 300 }),
    );
    sets.push(...(page.ResourceRecordSets ?? []).map(toRecordSet).filter(keep));
    if (sets.length > limit) return { sets: sets.slice(0, limit), truncated: true };
    if (!page.IsTruncated) return { sets, truncated: false };
    start = { StartRecordName: page.NextRecordName!, StartRecordType: page.NextRecordType! };
  }
}
