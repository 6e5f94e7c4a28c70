import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { listSecurityGroupRules } from './ingress-rule';
import { TAG, tagValue } from './resource-tags';
import { code, md, type Mrkdwn } from '../slack/mrkdwn';

/** A cloud resource tagged by a job that no longer runs. */
export interface Leftover {
  kind: 'instance' | 'rule';
  id: string;
  jobId: string;
  purpose: string | undefined;
  /** An instance the requester asked to keep (`--keep-instance`): reported, expected. */
  kept: boolean;
  /** Where it is: the instance's status and endpoint, or the rule's group and peer. */
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

/**
 * Instances and security-group rules tagged with a job id whose job is not running (finished,
 * failed, removed, or never known here): what a crash, a failed cleanup or --keep-instance left.
 */
export async function findLeftovers(
  clients: { rds: RDSClient; ec2: EC2Client },
  isRunning: (jobId: string) => Promise<boolean>,
): Promise<Leftover[]> {
  const [instances, rules] = await Promise.all([
    taggedInstances(clients.rds),
    listSecurityGroupRules(clients.ec2, [{ Name: 'tag-key', Values: [TAG.jobId] }]),
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
  return leftovers;
}

/** One line per leftover, for #devops_alert. */
export function describeLeftover(leftover: Leftover): Mrkdwn {
  const what = leftover.kind === 'instance' ? 'RDS instance' : 'security-group rule';
  const why = leftover.kept ? ' (kept as asked with --keep-instance)' : '';
  const purpose = leftover.purpose ? `, ${leftover.purpose}` : '';
  return md`• ${what} ${code(leftover.id)} (${leftover.detail}) of job ${code(leftover.jobId)}${purpose}${why}`;
}
