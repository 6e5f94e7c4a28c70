import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
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
import { BatchGetBuildsCommand } from '@aws-sdk/client-codebuild';
import {
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
} from '@aws-sdk/client-codepipeline';
import type { AwsClients } from './clients';
import type { AwsCommand } from './iam-policies';
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
  'PipelineNotFoundException',
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

  /**
   * Whether the credentials may call `action` (`rds:DescribeDBInstances`) as `commands` call it:
   * an action whose policy depends on the command (a create tagged with the command's purpose)
   * is asked once per command, and the first one refused is the answer.
   */
  async check(action: string, commands: readonly AwsCommand[]): Promise<ProbeResult> {
    const probe = PROBES[action];
    if (!probe) return notChecked('no probe for this action');
    if (!PER_COMMAND.has(action) || commands.length === 0) return probe(this, commands[0]);
    const results = await Promise.all(commands.map((command) => probe(this, command)));
    const worst = STATUS_ORDER.map((status) =>
      results.findIndex((result) => result.status === status),
    ).find((i) => i >= 0)!;
    const result = results[worst]!;
    return commands.length === 1
      ? result
      : { ...result, how: `${result.how} for /${commands[worst]}` };
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

/** A probe; `command` is whose call it asks about, for the actions in PER_COMMAND. */
type Probe = (p: PermissionProbe, command?: AwsCommand) => Promise<ProbeResult>;

/** Actions whose policy differs per command: the purpose tag a create must carry. */
const PER_COMMAND = new Set(['ec2:CreateSecurityGroup', 'ec2:CreateTags']);
/** Which answer wins when an action is asked about for several commands. */
const STATUS_ORDER: readonly ProbeStatus[] = ['missing', 'error', 'not-checked', 'allowed'];

/** The tags a job puts on what it creates, for `command` (its purpose). */
const probeTags = (command: AwsCommand | undefined) =>
  jobTags({
    jobId: 'aws-check-0000000000',
    purpose: command ?? 'aws-check',
    requestedBy: 'aws-check',
  });

/**
 * The ingress rule the runbooks open, asked about with DryRun: the database's port (its
 * endpoint's, 3306 without one) from the workers.
 */
async function ingressProbe(
  p: PermissionProbe,
  kind: 'authorize' | 'revoke',
): Promise<ProbeResult> {
  const instance = await p.databaseInstance();
  const groupId = instance?.VpcSecurityGroups?.[0]?.VpcSecurityGroupId;
  const port = instance?.Endpoint?.Port ?? 3306;
  const from = p.probeTargets.workerSource;
  if (groupId === undefined || from === undefined)
    return notChecked(
      'needs a configured database whose instance can be described, and the workers’ CIDR or group',
    );
  const peer =
    'cidr' in from
      ? { IpRanges: [{ CidrIp: from.cidr }] }
      : { UserIdGroupPairs: [{ GroupId: from.securityGroupId }] };
  const IpPermissions = [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, ...peer }];
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
        TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: probeTags(undefined) }],
      }),
    ),
  );
}

/**
 * The job's own security group, asked about with DryRun: created in the configured database's
 * VPC (the default VPC without one), tagged as `command`'s jobs tag it.
 */
async function createGroupProbe(p: PermissionProbe, command?: AwsCommand): Promise<ProbeResult> {
  const vpcId = (await p.databaseInstance())?.DBSubnetGroup?.VpcId;
  return attempt(`DryRun${vpcId ? ` in ${vpcId}` : ''}, tagged as a job tags it`, () =>
    p.clients.ec2.send(
      new CreateSecurityGroupCommand({
        DryRun: true,
        GroupName: 'opsdeck-aws-check',
        Description: 'opsdeck aws check (DryRun: never created)',
        ...(vpcId && { VpcId: vpcId }),
        TagSpecifications: [{ ResourceType: 'security-group', Tags: probeTags(command) }],
      }),
    ),
  );
}

/** The worse of two answers (the first when equal). */
function worseOf(a: ProbeResult, b: ProbeResult): ProbeResult {
  return STATUS_ORDER.indexOf(b.status) < STATUS_ORDER.indexOf(a.status) ? b : a;
}

const PIPELINE_NO_DRY_RUN =
  'not checked: CodeBuild and CodePipeline have no DryRun, and the call would start or stop a run';
const PROBE_BUILD = 'opsdeck-aws-check:00000000-0000-0000-0000-000000000000';
const PROBE_PIPELINE = 'opsdeck-aws-check';

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
  'ec2:DescribeSecurityGroups': (p) =>
    attempt('DryRun', () =>
      p.clients.ec2.send(new DescribeSecurityGroupsCommand({ DryRun: true })),
    ),
  'ec2:CreateSecurityGroup': createGroupProbe,
  // Only groups a job created and tagged may be deleted, and none exists outside a job: a DryRun
  // on another group would be refused by the tag condition whatever the policy.
  'ec2:DeleteSecurityGroup': async () =>
    notChecked('not checked: allowed only on a group a job created and tagged, none to ask about'),
  'ec2:DescribeInstances': (p) =>
    attempt('DryRun', () => p.clients.ec2.send(new DescribeInstancesCommand({ DryRun: true }))),
  'ec2:AuthorizeSecurityGroupIngress': (p) => ingressProbe(p, 'authorize'),
  // The group and the rule are tagged as they are created: the DryRuns of
  // CreateSecurityGroup and AuthorizeSecurityGroupIngress with the tags ask for both.
  'ec2:CreateTags': async (p, command) => {
    const [group, rule] = await Promise.all([
      createGroupProbe(p, command),
      ingressProbe(p, 'authorize'),
    ]);
    const result = worseOf(group, rule);
    const of = result === group ? 'CreateSecurityGroup' : 'AuthorizeSecurityGroupIngress';
    return { ...result, how: `with ${of}'s ${result.how}` };
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
  // A build id nobody has: listed as not found when allowed.
  'codebuild:BatchGetBuilds': (p) =>
    attempt('BatchGetBuilds of an unknown build', () =>
      p.clients.codebuild.send(new BatchGetBuildsCommand({ ids: [PROBE_BUILD] })),
    ),
  'codebuild:StartBuild': async () => notChecked(PIPELINE_NO_DRY_RUN),
  'codebuild:StopBuild': async () => notChecked(PIPELINE_NO_DRY_RUN),
  // A pipeline nobody has: PipelineNotFoundException when allowed.
  'codepipeline:GetPipelineExecution': (p) =>
    attempt('GetPipelineExecution of an unknown pipeline', () =>
      p.clients.codepipeline.send(
        new GetPipelineExecutionCommand({
          pipelineName: PROBE_PIPELINE,
          pipelineExecutionId: '00000000-0000-0000-0000-000000000000',
        }),
      ),
    ),
  'codepipeline:ListActionExecutions': (p) =>
    attempt('ListActionExecutions of an unknown pipeline', () =>
      p.clients.codepipeline.send(
        new ListActionExecutionsCommand({ pipelineName: PROBE_PIPELINE, maxResults: 1 }),
      ),
    ),
  'codepipeline:StartPipelineExecution': async () => notChecked(PIPELINE_NO_DRY_RUN),
  'codepipeline:StopPipelineExecution': async () => notChecked(PIPELINE_NO_DRY_RUN),
  // A change id nobody has: NoSuchChange when allowed.
  'route53:GetChange': (p) =>
    attempt('GetChange of an unknown change', () =>
      p.clients.route53.send(new GetChangeCommand({ Id: 'C0OPSDECKAWSCHECK0000' })),
    ),
};
