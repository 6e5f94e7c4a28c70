import {
  DescribeInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ErrorCode, OpsdeckError } from '../errors';
import { isPipelineTarget, type DeployTargets, type PipelineTarget } from '../config/deploy';

/**
 * The hosts a deploy runs on, from an environment's `targets` (see deploy-config.ts):
 *
 * - `{ hosts: [...] }`: exactly those, in the order given.
 * - `{ codebuild }` or `{ codepipeline }`: one "host", the pipeline (`codebuild:<project>`,
 *   `codepipeline:<pipeline>`), so its history (what runs there now, rollbacks) is kept as a
 *   host's.
 * - `{ ec2: { tags, address } }`: the instances DescribeInstances finds with every tag (one
 *   `tag:<key>` filter per key; a list of values means any of them) in state `running` only, so
 *   an instance still pending, stopping, stopped or terminated gets no command. All pages are read
 *   (NextToken). `{host}` is the instance's `address` (private IP unless configured otherwise);
 *   the hosts come sorted by it (numbers in it compared as numbers, so 10.0.0.9 before 10.0.0.10),
 *   so every resolve of the same fleet gives the same order, and an address is listed once.
 *
 * Like EC2 itself, a tag value may use the `*` and `?` wildcards.
 *
 * No host at all is an OpsdeckError `DeployNoHosts` naming the filters sent, so the user sees
 * what matched nothing. AWS errors (throttling, permissions, an aborted `signal`) propagate
 * unchanged; they are mapped where the job runs.
 */

export interface DeployHost {
  /** What `{host}` is replaced by: the static entry, or the instance's configured address. */
  host: string;
  instanceId?: string;
  /** The instance's `Name` tag. */
  name?: string;
}

/** A running instance that matched but is not deployed to, and why. */
export interface SkippedInstance {
  instanceId: string;
  name?: string;
  reason: string;
}

export interface ResolveDeployHostsOptions {
  /** MaxResults of each DescribeInstances page (EC2 accepts 5-1000). Default 1000. */
  pageSize?: number;
  /**
   * Told once, when any matching running instance was left out: no address of the configured
   * kind, or the same address as an instance already listed.
   */
  onSkipped?: (skipped: SkippedInstance[]) => void;
}

/** A pipeline as the history's host: `codebuild:<project>` or `codepipeline:<pipeline>`. */
export const PIPELINE_HOST = /^(?:codebuild|codepipeline):[A-Za-z0-9.@_-]{1,255}$/;

export function pipelineHost(targets: PipelineTarget): string {
  return 'codebuild' in targets
    ? `codebuild:${targets.codebuild.project}`
    : `codepipeline:${targets.codepipeline.pipeline}`;
}

type AddressKind = Extract<DeployTargets, { ec2: unknown }>['ec2']['address'];

const ADDRESS_FIELD = {
  privateIp: 'PrivateIpAddress',
  privateDnsName: 'PrivateDnsName',
  instanceId: 'InstanceId',
} as const satisfies Record<AddressKind, keyof Instance>;

const DEFAULT_PAGE_SIZE = 1000;

export async function resolveDeployHosts(
  ec2: EC2Client,
  targets: DeployTargets,
  signal?: AbortSignal,
  options: ResolveDeployHostsOptions = {},
): Promise<DeployHost[]> {
  if ('hosts' in targets) return targets.hosts.map((host) => ({ host }));
  if (isPipelineTarget(targets)) return [{ host: pipelineHost(targets) }];

  const address: AddressKind = targets.ec2.address;
  const filters: Filter[] = [
    ...Object.entries(targets.ec2.tags).map(([key, values]) => ({
      Name: `tag:${key}`,
      // The config turns one value into a list; a caller passing the raw form still works.
      Values: [values].flat(),
    })),
    { Name: 'instance-state-name', Values: ['running'] },
  ];

  const instances = await describeAll(ec2, filters, options.pageSize ?? DEFAULT_PAGE_SIZE, signal);

  const skipped: SkippedInstance[] = [];
  const candidates: DeployHost[] = [];
  for (const instance of instances) {
    const instanceId = instance.InstanceId ?? '';
    const name = instance.Tags?.find((tag) => tag.Key === 'Name')?.Value;
    const host = instance[ADDRESS_FIELD[address]];
    if (!host) {
      skipped.push({ instanceId, ...(name !== undefined && { name }), reason: `no ${address}` });
      continue;
    }
    candidates.push({
      host,
      ...(instanceId !== '' && { instanceId }),
      ...(name !== undefined && { name }),
    });
  }

  candidates.sort((a, b) => compareAddresses(a.host, b.host));
  const hosts: DeployHost[] = [];
  const byHost = new Map<string, DeployHost>();
  for (const candidate of candidates) {
    const first = byHost.get(candidate.host);
    if (!first) {
      byHost.set(candidate.host, candidate);
      hosts.push(candidate);
    } else if (candidate.instanceId !== first.instanceId) {
      // Another instance with the same address (e.g. the same private IP in another VPC).
      skipped.push({
        instanceId: candidate.instanceId ?? '',
        ...(candidate.name !== undefined && { name: candidate.name }),
        reason: `same ${address} ${candidate.host} as ${first.instanceId}`,
      });
    } // else: the same instance listed twice (a page boundary shifted), kept once.
  }

  if (skipped.length > 0) options.onSkipped?.(skipped);
  if (hosts.length === 0) {
    const why =
      skipped.length === 0
        ? 'no running EC2 instance matches'
        : `${skipped.length} running EC2 instance(s) matched but none has a ${address} (${skipped.map((s) => s.instanceId).join(', ')})`;
    throw new OpsdeckError(ErrorCode.DeployNoHosts, `${why}: ${describeFilters(filters)}`);
  }
  return hosts;
}

async function describeAll(
  ec2: EC2Client,
  filters: Filter[],
  pageSize: number,
  signal: AbortSignal | undefined,
): Promise<Instance[]> {
  const instances: Instance[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({
        Filters: filters,
        MaxResults: pageSize,
        NextToken: nextToken,
      }),
      { abortSignal: signal },
    );
    for (const reservation of page.Reservations ?? [])
      instances.push(...(reservation.Instances ?? []));
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  return instances;
}

/** `tag:app = billing, tag:env = prod or staging, instance-state-name = running` */
function describeFilters(filters: Filter[]): string {
  return filters
    .map(
      ({ Name, Values = [] }) => `${Name} = ${Values.map((v) => JSON.stringify(v)).join(' or ')}`,
    )
    .join(', ');
}

/**
 * A total order on addresses that compares runs of digits as numbers, so IPs and numbered host
 * names sort the way people read them. Ties (leading zeros) fall back to plain string order.
 */
export function compareAddresses(a: string, b: string): number {
  const left = a.split(/(\d+)/);
  const right = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    if (i % 2 === 1) {
      // split with a capture group puts the digit runs at the odd indices.
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (left.length !== right.length) return left.length - right.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
