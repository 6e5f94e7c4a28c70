import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../aws-error';
import type { RestXmlResponse, RestXmlService } from '../server';
import {
  randomId,
  type ChangeRecord,
  type HostedZoneRecord,
  type ResourceRecordSetRecord,
  type StateStore,
} from '../state-store';
import type { XmlObject } from '../xml';
import { applyChangeBatch, type Change, type ChangeAction } from './change-batch';
import { compareKeys, normalizeDnsName, reversedName } from './dns-names';

export const ROUTE53_PREFIX = '/2013-04-01/';
const NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** Route53's defaults for a new zone: its SOA (negative-caching TTL 900 s) and NS records. */
const NAME_SERVERS = [
  'ns-2048.awsdns-64.com.',
  'ns-2049.awsdns-00.net.',
  'ns-2050.awsdns-01.org.',
  'ns-2051.awsdns-02.co.uk.',
];
const SOA_VALUE = `${NAME_SERVERS[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`;

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => ['Change', 'ResourceRecord'].includes(name),
});

type XmlInput = Record<string, unknown>;
const text = (node: unknown, key: string): string | undefined => {
  const value = (node as XmlInput | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
};
const child = (node: unknown, key: string): XmlInput | undefined =>
  (node as XmlInput | undefined)?.[key] as XmlInput | undefined;

export interface Route53Options {
  /** How long a change stays PENDING before INSYNC. */
  syncDelayMs: number;
}

/** Route53's REST-XML API: private hosted zones, record sets, change tracking. */
export function createRoute53Service(store: StateStore, options: Route53Options): RestXmlService {
  const state = () => store.state.route53;

  const zoneOf = (id: string): HostedZoneRecord => {
    const zone = state().zones[id];
    if (!zone) throw new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);
    return zone;
  };

  const zoneXml = (zone: HostedZoneRecord): XmlObject => ({
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: { Comment: zone.comment, PrivateZone: zone.privateZone },
    ResourceRecordSetCount: zone.recordSets.length,
  });

  const vpcsXml = (zone: HostedZoneRecord): XmlObject => ({
    VPC: zone.vpcs.map((vpc) => ({ VPCRegion: vpc.vpcRegion, VPCId: vpc.vpcId })),
  });

  const newChange = (comment?: string): ChangeRecord => {
    const change = {
      id: `C${randomId(20).toUpperCase()}`,
      submittedAt: new Date().toISOString(),
      comment,
    };
    state().changes[change.id] = change;
    return change;
  };

  const changeXml = (change: ChangeRecord): XmlObject => ({
    Id: `/change/${change.id}`,
    Status:
      Date.now() - Date.parse(change.submittedAt) >= options.syncDelayMs ? 'INSYNC' : 'PENDING',
    SubmittedAt: new Date(change.submittedAt),
    Comment: change.comment,
  });

  function createHostedZone(body: XmlInput): RestXmlResponse {
    const request = child(body, 'CreateHostedZoneRequest');
    const name = normalizeDnsName(required(text(request, 'Name'), 'Name'));
    const callerReference = required(text(request, 'CallerReference'), 'CallerReference');
    const config = child(request, 'HostedZoneConfig');
    const vpc = child(request, 'VPC');
    const privateZone = vpc !== undefined || text(config, 'PrivateZone') === 'true';
    if (Object.values(state().zones).some((zone) => zone.callerReference === callerReference)) {
      throw new AwsError(
        'HostedZoneAlreadyExists',
        `A hosted zone has already been created with the specified caller reference.`,
        409,
      );
    }
    if (privateZone && !text(vpc, 'VPCId')) {
      throw new AwsError('InvalidInput', 'A private hosted zone must be associated with a VPC.');
    }
    const zone: HostedZoneRecord = {
      id: `Z${randomId(20).toUpperCase()}`,
      name,
      callerReference,
      comment: text(config, 'Comment'),
      privateZone,
      vpcs: privateZone
        ? [{ vpcId: text(vpc, 'VPCId')!, vpcRegion: text(vpc, 'VPCRegion') ?? 'us-east-1' }]
        : [],
      recordSets: [
        { name, type: 'NS', ttl: 172800, values: NAME_SERVERS },
        { name, type: 'SOA', ttl: 900, values: [SOA_VALUE] },
      ],
    };
    state().zones[zone.id] = zone;
    const change = newChange();
    store.save();
    return {
      status: 201,
      root: 'CreateHostedZoneResponse',
      headers: { Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${zone.id}` },
      body: {
        HostedZone: zoneXml(zone),
        ChangeInfo: changeXml(change),
        DelegationSet: privateZone ? undefined : { NameServers: { NameServer: NAME_SERVERS } },
        VPC: privateZone ? vpcsXml(zone).VPC : undefined,
      },
    };
  }

  function listHostedZonesByName(query: URLSearchParams): RestXmlResponse {
    const dnsName = query.get('dnsname');
    const startId = query.get('hostedzoneid');
    const maxItems = Number(query.get('maxitems') ?? 100);
    const start = dnsName === null ? '' : reversedName(normalizeDnsName(dnsName));
    const zones = Object.values(state().zones)
      .map((zone) => ({ zone, key: reversedName(zone.name) }))
      .sort((a, b) => compareKeys(a.key, b.key) || compareKeys(a.zone.id, b.zone.id))
      .filter(
        ({ zone, key }) =>
          key > start || (key === start && (startId === null || zone.id >= startId)),
      )
      .map(({ zone }) => zone);
    const shown = zones.slice(0, maxItems);
    const next = zones[maxItems];
    return {
      status: 200,
      root: 'ListHostedZonesByNameResponse',
      body: {
        HostedZones: { HostedZone: shown.map(zoneXml) },
        DNSName: dnsName ?? undefined,
        HostedZoneId: startId ?? undefined,
        IsTruncated: next !== undefined,
        NextDNSName: next?.name,
        NextHostedZoneId: next?.id,
        MaxItems: maxItems,
      },
    };
  }

  /**
   * ListHostedZones (`GET /hostedzone`): every zone, ordered by id, `maxitems` at a time (100 at
   * most, as Route53), the next page from `marker` (the id NextMarker gave).
   */
  function listHostedZones(query: URLSearchParams): RestXmlResponse {
    const marker = query.get('marker');
    const maxItems = pageSizeOf(query, 100);
    const zones = Object.values(state().zones)
      .sort((a, b) => compareKeys(a.id, b.id))
      .filter((zone) => marker === null || zone.id >= marker);
    if (marker !== null && zones[0]?.id !== marker)
      throw new AwsError('InvalidInput', `Invalid marker: ${marker}`);
    const next = zones[maxItems];
    return {
      status: 200,
      root: 'ListHostedZonesResponse',
      body: {
        HostedZones: { HostedZone: zones.slice(0, maxItems).map(zoneXml) },
        Marker: marker ?? undefined,
        IsTruncated: next !== undefined,
        NextMarker: next?.id,
        MaxItems: maxItems,
      },
    };
  }

  function listResourceRecordSets(zone: HostedZoneRecord, query: URLSearchParams): RestXmlResponse {
    const startName = query.get('name');
    const startType = query.get('type');
    const maxItems = Number(query.get('maxitems') ?? 300);
    const sortKey = (set: ResourceRecordSetRecord) => `${reversedName(set.name)}\u0000${set.type}`;
    const start =
      startName === null
        ? ''
        : `${reversedName(normalizeDnsName(startName))}\u0000${startType ?? ''}`;
    const sets = [...zone.recordSets]
      .sort((a, b) => compareKeys(sortKey(a), sortKey(b)))
      .filter((set) => sortKey(set) >= start);
    const next = sets[maxItems];
    return {
      status: 200,
      root: 'ListResourceRecordSetsResponse',
      body: {
        ResourceRecordSets: { ResourceRecordSet: sets.slice(0, maxItems).map(recordSetXml) },
        IsTruncated: next !== undefined,
        NextRecordName: next?.name,
        NextRecordType: next?.type,
        MaxItems: maxItems,
      },
    };
  }

  function changeResourceRecordSets(zone: HostedZoneRecord, body: XmlInput): RestXmlResponse {
    const batch = child(child(body, 'ChangeResourceRecordSetsRequest'), 'ChangeBatch');
    const changes = ((child(batch, 'Changes')?.Change as XmlInput[] | undefined) ?? []).map(
      parseChange,
    );
    if (changes.length === 0)
      throw new AwsError('InvalidInput', 'ChangeBatch must contain at least one change.');
    zone.recordSets = applyChangeBatch(zone, changes);
    const change = newChange(text(batch, 'Comment'));
    store.save();
    return {
      status: 200,
      root: 'ChangeResourceRecordSetsResponse',
      body: { ChangeInfo: changeXml(change) },
    };
  }

  function deleteHostedZone(zone: HostedZoneRecord): RestXmlResponse {
    if (
      zone.recordSets.some(
        (set) => set.name !== zone.name || (set.type !== 'SOA' && set.type !== 'NS'),
      )
    ) {
      throw new AwsError(
        'HostedZoneNotEmpty',
        'The specified hosted zone contains non-required resource record sets and so cannot be deleted.',
      );
    }
    delete state().zones[zone.id];
    const change = newChange();
    store.save();
    return {
      status: 200,
      root: 'DeleteHostedZoneResponse',
      body: { ChangeInfo: changeXml(change) },
    };
  }

  return {
    pathPrefix: ROUTE53_PREFIX,
    namespace: NAMESPACE,
    iamPrefix: 'route53',
    actionOf: route53Action,
    async handle(method, url, body) {
      const path = url.pathname.slice(ROUTE53_PREFIX.length).replace(/\/$/, '').split('/');
      const [resource, id, sub] = path;
      const parsed = () => parser.parse(body) as XmlInput;
      if (resource === 'hostedzone' && id === undefined && method === 'POST')
        return createHostedZone(parsed());
      if (resource === 'hostedzone' && id === undefined && method === 'GET')
        return listHostedZones(url.searchParams);
      if (resource === 'hostedzonesbyname' && method === 'GET')
        return listHostedZonesByName(url.searchParams);
      if (resource === 'hostedzone' && id !== undefined) {
        const zone = zoneOf(id);
        if (sub === undefined && method === 'GET') {
          return {
            status: 200,
            root: 'GetHostedZoneResponse',
            body: { HostedZone: zoneXml(zone), VPCs: zone.privateZone ? vpcsXml(zone) : undefined },
          };
        }
        if (sub === undefined && method === 'DELETE') return deleteHostedZone(zone);
        if (sub === 'rrset' && method === 'GET')
          return listResourceRecordSets(zone, url.searchParams);
        if (sub === 'rrset' && method === 'POST') return changeResourceRecordSets(zone, parsed());
      }
      if (resource === 'change' && id !== undefined && method === 'GET') {
        const change = state().changes[id];
        if (!change)
          throw new AwsError(
            'NoSuchChange',
            `A change with the specified change ID does not exist.`,
            404,
          );
        return { status: 200, root: 'GetChangeResponse', body: { ChangeInfo: changeXml(change) } };
      }
      throw new AwsError(
        'InvalidAction',
        `The sandbox does not implement ${method} ${url.pathname}`,
      );
    },
  };
}

function parseChange(node: XmlInput): Change {
  const action = text(node, 'Action');
  if (action !== 'CREATE' && action !== 'UPSERT' && action !== 'DELETE') {
    throw new AwsError('InvalidInput', `Invalid change action: ${action}`);
  }
  const set = child(node, 'ResourceRecordSet');
  const ttl = text(set, 'TTL');
  const alias = child(set, 'AliasTarget');
  const records = (child(set, 'ResourceRecords')?.ResourceRecord as XmlInput[] | undefined) ?? [];
  const recordSet: ResourceRecordSetRecord = {
    name: normalizeDnsName(required(text(set, 'Name'), 'Name')),
    type: required(text(set, 'Type'), 'Type'),
    ttl: ttl === undefined ? undefined : Number(ttl),
    values: records.map((record) => required(text(record, 'Value'), 'Value')),
    aliasTarget: alias
      ? {
          hostedZoneId: required(text(alias, 'HostedZoneId'), 'HostedZoneId'),
          dnsName: normalizeDnsName(required(text(alias, 'DNSName'), 'DNSName')),
          evaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true',
        }
      : undefined,
  };
  return { action: action as ChangeAction, recordSet };
}

function recordSetXml(set: ResourceRecordSetRecord): XmlObject {
  return {
    Name: set.name,
    Type: set.type,
    TTL: set.ttl,
    ResourceRecords: set.aliasTarget
      ? undefined
      : { ResourceRecord: set.values.map((Value) => ({ Value })) },
    AliasTarget: set.aliasTarget
      ? {
          HostedZoneId: set.aliasTarget.hostedZoneId,
          DNSName: set.aliasTarget.dnsName,
          EvaluateTargetHealth: set.aliasTarget.evaluateTargetHealth,
        }
      : undefined,
  };
}

/** `maxitems`: 1 to `max`, `max` when absent. */
function pageSizeOf(query: URLSearchParams, max: number): number {
  const raw = query.get('maxitems');
  const size = raw === null ? max : Number(raw);
  if (!Number.isInteger(size) || size < 1)
    throw new AwsError('InvalidInput', `Invalid maxitems: ${raw}`);
  return Math.min(size, max);
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '')
    throw new AwsError('InvalidInput', `${name} is required.`);
  return value;
}

/** The Route53 API action of a REST request, named as IAM names it (route53:<action>). */
export function route53Action(method: string, url: URL): string {
  const [resource, id, sub] = url.pathname
    .slice(ROUTE53_PREFIX.length)
    .replace(/\/$/, '')
    .split('/');
  if (resource === 'hostedzonesbyname' && method === 'GET') return 'ListHostedZonesByName';
  if (resource === 'change' && method === 'GET') return 'GetChange';
  if (resource === 'hostedzone') {
    if (id === undefined) return method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones';
    if (sub === 'rrset')
      return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
    if (sub === undefined && method === 'DELETE') return 'DeleteHostedZone';
    if (sub === undefined) return 'GetHostedZone';
  }
  return `Unknown(${method} ${url.pathname})`;
}
