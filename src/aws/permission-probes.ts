import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import type { AwsClients } from './clients';
import type { IngressSource } from './ingress-rule';
import { jobTags } from './resource-tags';

/**
 * How `opsdeck aws check` finds out, without changing anything, whether the credentials may call
 * an action: EC2's DryRun where it exists (AWS answers DryRunOperation or UnauthorizedOperation
 * and does nothing), a read-only call elsewhere (an answer, or AccessDenied). RDS and Route53
 * have no DryRun, so what they would create, change or delete cannot be asked about: those are
 * reported as not checked, never guessed.
 */

export type ProbeStatus = 'allowed' | 'missing' | 'not-checked' | 'error';

export interface ProbeResult {
  status: ProbeStatus;
  /** How it was found out (`DryRun`, `DescribeDBInstances of billing-prod`) or why it was not. */
  how: string;
  /** The error AWS answered with, when it matters. */
  detail?: string;
}

/** What the probes act on: the resources opsdeck's config names. */
export interface ProbeTargets {
  /** An RDS instance opsdeck acts on (`databases.<name>.instance`). */
  instance?: string;
  /** Where the workers connect from (`restoreTable.workerCidr` / `workerSecurityGroupId`). */
  workerSource?: IngressSource;
  /** A hosted zone `/phz` may change, by id or name. */
  zone?: string;
}

/** Answers that mean the caller lacks the permission. */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
]);
/** Answers that mean the permission was granted and the probe's resource does not exist. */
const NOT_FOUND = new Set([
  'NoSuchChange',
  'NoSuchHostedZone',
  'DBInstanceNotFoundFault',
  'DBInstanceAutomatedBackupNotFoundFault',
  'InvalidGroup.NotFound',
  'InvalidPermission.NotFound',
]);

/** How an answer reads as a permission: allowed, missing, or the probe failed. */
export function permissionOf(error: unknown, how: string): ProbeResult {
  const { name, message } = error as Error;
  if (name === 'DryRunOperation') return { status: 'allowed', how };
  if (DENIED.has(name)) return { status: 'missing', how, detail: `${name}: ${message}` };
  if (NOT_FOUND.has(name))
    return { status: 'allowed', how, detail: `${name} (allowed; nothing by that name)` };
  return { status: 'error', how, detail: `${name}: ${message}` };
}

async function attempt(how: string, call: () => Promise<unknown>): Promise<ProbeResult> {
  try {
    await call();
    return { status: 'allowed', how };
  } catch (error) {
    return permissionOf(error, how);
  }
}

const notChecked = (why: string): ProbeResult => ({ status: 'not-checked', how: why });

/** A probe run against one set of clients and targets; lookups it needs are made once. */
export class PermissionProbe {
  private instance: Promise<DBInstance | undefined> | undefined;
  private zoneId: Promise<string | undefined> | undefined;

  constructor(
    private readonly aws: AwsClients,
    private readonly targets: ProbeTargets,
  ) {}

  /** Whether the credentials may call `action` (`rds:DescribeDBInstances`). */
  async check(action: string): Promise<ProbeResult> {
    const probe = PROBES[action];
    if (!probe) return notChecked('no probe for this action');
    return probe(this);
  }

  /** The configured instance as RDS describes it (for its security group), once. */
  databaseInstance(): Promise<DBInstance | undefined> {
    const id = this.targets.instance;
    if (id === undefined) return Promise.resolve(undefined);
    this.instance ??= this.aws.rds
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))
      .then(
        (answer) => answer.DBInstances?.[0],
        () => undefined,
      );
    return this.instance;
  }

  /** The configured zone's id (a name is looked up), once. */
  hostedZoneId(): Promise<string | undefined> {
    const zone = this.targets.zone;
    if (zone === undefined) return Promise.resolve(undefined);
    if (/^Z[A-Z0-9]+$/.test(zone)) return Promise.resolve(zone);
    const name = zone.endsWith('.') ? zone : `${zone}.`;
    this.zoneId ??= this.aws.route53
      .send(new ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 10 }))
      .then(
        (answer) =>
          answer.HostedZones?.find((z) => z.Name === name && z.Config?.PrivateZone)?.Id?.replace(
            '/hostedzone/',
            '',
          ),
        () => undefined,
      );
    return this.zoneId;
  }

  get clients(): AwsClients {
    return this.aws;
  }

  get probeTargets(): ProbeTargets {
    return this.targets;
  }
}

type Probe = (p: PermissionProbe) => Promise<ProbeResult>;

/** The ingress rule the runbooks open, asked about with DryRun: tcp/3306 from the workers. */
async function ingressProbe(
  p: PermissionProbe,
  kind: 'authorize' | 'revoke',
): Promise<ProbeResult> {
  const instance = await p.databaseInstance();
  const groupId = instance?.VpcSecurityGroups?.[0]?.VpcSecurityGroupId;
  const from = p.probeTargets.workerSource;
  if (groupId === undefined || from === undefined)
    return notChecked(
      'needs a configured database whose instance can be described, and the workers’ CIDR or group',
    );
  const peer =
    'cidr' in from
      ? { IpRanges: [{ CidrIp: from.cidr }] }
      : { UserIdGroupPairs: [{ GroupId: from.securityGroupId }] };
  const IpPermissions = [{ IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, ...peer }];
  if (kind === 'revoke') {
    return attempt(
      `DryRun in ${groupId} (the group; the rule's tag is only checked on a real rule)`,
      () =>
        p.clients.ec2.send(
          new RevokeSecurityGroupIngressCommand({ DryRun: true, GroupId: groupId, IpPermissions }),
        ),
    );
  }
  return attempt(`DryRun in ${groupId}, tagged as a job tags it`, () =>
    p.clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        DryRun: true,
        GroupId: groupId,
        IpPermissions,
        TagSpecifications: [
          {
            ResourceType: 'security-group-rule',
            Tags: jobTags({
              jobId: 'aws-check-0000000000',
              purpose: 'aws-check',
              requestedBy: 'aws-check',
            }),
          },
        ],
      }),
    ),
  );
}

const RDS_NO_DRY_RUN = 'not checked: RDS has no DryRun, and the call would change something';

export const PROBES: Readonly<Record<string, Probe>> = {
  'rds:DescribeDBInstances': (p) => {
    const id = p.probeTargets.instance;
    return attempt(id ? `DescribeDBInstances of ${id}` : 'DescribeDBInstances', () =>
      p.clients.rds.send(
        new DescribeDBInstancesCommand(id ? { DBInstanceIdentifier: id } : { MaxRecords: 20 }),
      ),
    );
  },
  'rds:DescribeDBInstanceAutomatedBackups': (p) => {
    const id = p.probeTargets.instance;
    return attempt(
      id ? `DescribeDBInstanceAutomatedBackups of ${id}` : 'DescribeDBInstanceAutomatedBackups',
      () =>
        p.clients.rds.send(
          new DescribeDBInstanceAutomatedBackupsCommand(
            id ? { DBInstanceIdentifier: id } : { MaxRecords: 20 },
          ),
        ),
    );
  },
  'rds:RestoreDBInstanceToPointInTime': async () => notChecked(RDS_NO_DRY_RUN),
  'rds:CreateDBInstanceReadReplica': async () => notChecked(RDS_NO_DRY_RUN),
  'rds:DeleteDBInstance': async () => notChecked(RDS_NO_DRY_RUN),
  'rds:AddTagsToResource': async () => notChecked(RDS_NO_DRY_RUN),
  'ec2:DescribeSecurityGroupRules': (p) =>
    attempt('DryRun', () =>
      p.clients.ec2.send(new DescribeSecurityGroupRulesCommand({ DryRun: true })),
    ),
  'ec2:DescribeInstances': (p) =>
    attempt('DryRun', () => p.clients.ec2.send(new DescribeInstancesCommand({ DryRun: true }))),
  'ec2:AuthorizeSecurityGroupIngress': (p) => ingressProbe(p, 'authorize'),
  // The rule is tagged as it is created: AuthorizeSecurityGroupIngress's DryRun with the tags
  // asks for both, so this says the same as that line.
  'ec2:CreateTags': async (p) => {
    const result = await ingressProbe(p, 'authorize');
    return { ...result, how: `with AuthorizeSecurityGroupIngress's ${result.how}` };
  },
  'ec2:RevokeSecurityGroupIngress': (p) => ingressProbe(p, 'revoke'),
  'route53:ListHostedZonesByName': (p) =>
    attempt('ListHostedZonesByName', () =>
      p.clients.route53.send(new ListHostedZonesByNameCommand({ MaxItems: 1 })),
    ),
  'route53:GetHostedZone': async (p) => {
    const id = await p.hostedZoneId();
    if (id === undefined) return notChecked('needs a configured zone that can be found');
    return attempt(`GetHostedZone ${id}`, () =>
      p.clients.route53.send(new GetHostedZoneCommand({ Id: id })),
    );
  },
  'route53:ListResourceRecordSets': async (p) => {
    const id = await p.hostedZoneId();
    if (id === undefined) return notChecked('needs a configured zone that can be found');
    return attempt(`ListResourceRecordSets of ${id}`, () =>
      p.clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, MaxItems: 1 })),
    );
  },
  'route53:ChangeResourceRecordSets': async () =>
    notChecked('not checked: Route53 has no DryRun, and the call would change records'),
  // A change id nobody has: NoSuchChange when allowed.
  'route53:GetChange': (p) =>
    attempt('GetChange of an unknown change', () =>
      p.clients.route53.send(new GetChangeCommand({ Id: 'C0OPSDECKAWSCHECK0000' })),
    ),
};
