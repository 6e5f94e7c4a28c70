import {
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  type HostedZone,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { ErrorCode, OpsdeckError } from '../errors';
import { ZONE_ID_PATTERN } from '../config/phz';

/** A private hosted zone `/phz` may change. */
export interface PrivateZone {
  id: string;
  /** Absolute, lowercase: `prod.example.internal.` */
  name: string;
  vpcs: string[];
}

function refused(message: string): OpsdeckError {
  return new OpsdeckError(ErrorCode.DnsZoneRefused, message);
}

const bareId = (id: string) => id.replace(/^\/hostedzone\//, '');

/**
 * Resolves a configured zone (id, or name without its dot) to the one private zone it means.
 * A name is compared exactly: ListHostedZonesByName starts at the name and lists every zone
 * after it, and a public and a private zone may share a name. Public zones are refused.
 */
export async function resolvePrivateZone(
  route53: Route53Client,
  ref: string,
  signal?: AbortSignal,
): Promise<PrivateZone> {
  const id = ZONE_ID_PATTERN.test(ref) ? ref : await zoneIdByName(route53, `${ref}.`, signal);
  let zone;
  try {
    zone = await route53.send(new GetHostedZoneCommand({ Id: id }), { abortSignal: signal });
  } catch (error) {
    if ((error as Error).name === 'NoSuchHostedZone')
      throw refused(`there is no hosted zone with id ${id}`);
    throw error;
  }
  const hosted = zone.HostedZone!;
  if (!hosted.Config?.PrivateZone) {
    throw refused(
      `${hosted.Name} (${bareId(hosted.Id!)}) is a public zone; /phz changes private zones only`,
    );
  }
  return {
    id: bareId(hosted.Id!),
    name: hosted.Name!.toLowerCase(),
    vpcs: (zone.VPCs ?? []).map((vpc) => `${vpc.VPCId} (${vpc.VPCRegion})`),
  };
}

async function zoneIdByName(
  route53: Route53Client,
  name: string,
  signal?: AbortSignal,
): Promise<string> {
  const exact: HostedZone[] = [];
  let start: { DNSName?: string; HostedZoneId?: string } = { DNSName: name };
  for (;;) {
    const page = await route53.send(new ListHostedZonesByNameCommand({ ...start, MaxItems: 100 }), {
      abortSignal: signal,
    });
    const zones = page.HostedZones ?? [];
    exact.push(...zones.filter((zone) => zone.Name?.toLowerCase() === name));
    // Zones come sorted by name: once one sorts after ours, no later page can match.
    const past = zones.some((zone) => zone.Name?.toLowerCase() !== name);
    if (past || !page.IsTruncated) break;
    start = { DNSName: page.NextDNSName!, HostedZoneId: page.NextHostedZoneId! };
  }
  const privates = exact.filter((zone) => zone.Config?.PrivateZone);
  if (exact.length === 0) throw refused(`there is no hosted zone named ${name}`);
  if (privates.length === 0) {
    throw refused(`${name} is a public zone; /phz changes private zones only`);
  }
  if (privates.length > 1) {
    const ids = privates.map((zone) => bareId(zone.Id!)).join(', ');
    throw refused(
      `${privates.length} private zones are named ${name} (${ids}); configure the one you mean by its id`,
    );
  }
  return bareId(privates[0]!.Id!);
}
