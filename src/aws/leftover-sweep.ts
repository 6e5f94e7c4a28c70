import {
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { listSecurityGroupRules } from './ingress-rule';
import { TAG, tagValue } from './resource-tags';
import { code, md, type Mrkdwn } from '../slack/mrkdwn';

/** A cloud resource tagged by a job that no longer runs. */
export interface Leftover {
  kind: 'instance' | 'rule' | 'security-group';
  id: string;
  jobId: string;
  purpose: string | undefined;
  /** An instance the requester asked to keep (`--keep-instance`): reported, expected. */
  kept: boolean;
  /** Where it is: the instance's status and endpoint, the rule's group and peer, the group's name. */
  detail: string;
}

async function taggedInstances(rds: RDSClient): Promise<DBInstance[]> {
  const found: DBInstance[] = [];
  let Marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBInstancesCommand({ Marker, MaxRecords: 100 }));
    found.push(...(page.DBInstances ?? []).filter((i) => tagValue(i.TagList, TAG.jobId)));
    Marker = page.Marker;
  } while (Marker);
  return found;
}

async function taggedGroups(ec2: EC2Client): Promise<SecurityGroup[]> {
  const found: SecurityGroup[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'tag-key', Values: [TAG.jobId] }],
        NextToken,
        MaxResults: 1000,
      }),
    );
    found.push(...(page.SecurityGroups ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/**
 * Instances, security groups and security-group rules tagged with a job id whose job is not running (finished,
 * failed, removed, or never known here): what a crash, a failed cleanup or --keep-instance left.
 */
export async function findLeftovers(
  clients: { rds: RDSClient; ec2: EC2Client },
  isRunning: (jobId: string) => Promise<boolean>,
): Promise<Leftover[]> {
  const [instances, rules, groups] = await Promise.all([
    taggedInstances(clients.rds),
    listSecurityGroupRules(clients.ec2, [{ Name: 'tag-key', Values: [TAG.jobId] }]),
    taggedGroups(clients.ec2),
  ]);
  const leftovers: Leftover[] = [];
  for (const instance of instances) {
    const jobId = tagValue(instance.TagList, TAG.jobId)!;
    if (instance.DBInstanceStatus === 'deleting' || (await isRunning(jobId))) continue;
    const where = instance.Endpoint?.Address
      ? ` at ${instance.Endpoint.Address}:${instance.Endpoint.Port}`
      : '';
    leftovers.push({
      kind: 'instance',
      id: instance.DBInstanceIdentifier!,
      jobId,
      purpose: tagValue(instance.TagList, TAG.purpose),
      kept: tagValue(instance.TagList, TAG.keep) !== undefined,
      detail: `${instance.DBInstanceStatus}${where}`,
    });
  }
  for (const rule of rules) {
    const jobId = tagValue(rule.Tags, TAG.jobId)!;
    if (await isRunning(jobId)) continue;
    const peer = rule.CidrIpv4 ?? rule.ReferencedGroupInfo?.GroupId ?? 'unknown peer';
    leftovers.push({
      kind: 'rule',
      id: rule.SecurityGroupRuleId!,
      jobId,
      purpose: tagValue(rule.Tags, TAG.purpose),
      kept: false,
      detail: `${rule.GroupId} ${rule.IpProtocol}/${rule.FromPort} from ${peer}`,
    });
  }
  // A kept instance keeps its job's group.
  const keptJobs = new Set(leftovers.filter((l) => l.kept).map((l) => l.jobId));
  for (const group of groups) {
    const jobId = tagValue(group.Tags, TAG.jobId)!;
    if (await isRunning(jobId)) continue;
    leftovers.push({
      kind: 'security-group',
      id: group.GroupId!,
      jobId,
      purpose: tagValue(group.Tags, TAG.purpose),
      kept: keptJobs.has(jobId),
      detail: group.GroupName ?? '',
    });
  }
  return leftovers;
}

/** One line per leftover, for #devops_alert. */
export function describeLeftover(leftover: Leftover): Mrkdwn {
  const what = {
    instance: 'RDS instance',
    rule: 'security-group rule',
    'security-group': 'security group',
  }[leftover.kind];
  const why = leftover.kept ? ' (kept as asked with --keep-instance)' : '';
  const purpose = leftover.purpose ? `, ${leftover.purpose}` : '';
  return md`• ${what} ${code(leftover.id)} (${leftover.detail}) of job ${code(leftover.jobId)}${purpose}${why}`;
}
