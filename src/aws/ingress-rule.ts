import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type Filter,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { TAG, jobTags, type JobTags } from './resource-tags';

/** Where a rule lets connections in from: a CIDR or a security group. */
export type IngressSource = { cidr: string } | { securityGroupId: string };

export interface IngressRequest {
  groupId: string;
  port: number;
  from: IngressSource;
  tags: JobTags;
}

/** Every security-group rule matching `filters`, all pages. */
export async function listSecurityGroupRules(
  ec2: EC2Client,
  filters: Filter[],
  signal?: AbortSignal,
): Promise<SecurityGroupRule[]> {
  const found: SecurityGroupRule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: filters, NextToken, MaxResults: 1000 }),
      { abortSignal: signal },
    );
    found.push(...(page.SecurityGroupRules ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** This job's rule in the group, found by its tag. */
export async function findJobRule(
  ec2: EC2Client,
  groupId: string,
  jobId: string,
  signal?: AbortSignal,
): Promise<SecurityGroupRule | undefined> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({
      Filters: [
        { Name: 'group-id', Values: [groupId] },
        { Name: `tag:${TAG.jobId}`, Values: [jobId] },
      ],
    }),
    { abortSignal: signal },
  );
  return SecurityGroupRules?.find((rule) => !rule.IsEgress);
}

/**
 * Opens tcp/`port` from `from` into the group with a rule tagged with the job, once: this job's
 * rule is looked for first. `owned` is false when an identical rule was there already (someone
 * else's: the job uses it and must never revoke it).
 */
export async function openIngress(
  ec2: EC2Client,
  request: IngressRequest,
  signal?: AbortSignal,
): Promise<{ ruleId: string | undefined; owned: boolean }> {
  const mine = await findJobRule(ec2, request.groupId, request.tags.jobId, signal);
  if (mine) return { ruleId: mine.SecurityGroupRuleId, owned: true };
  const source =
    'cidr' in request.from
      ? { IpRanges: [{ CidrIp: request.from.cidr, Description: `opsdeck ${request.tags.jobId}` }] }
      : {
          UserIdGroupPairs: [
            { GroupId: request.from.securityGroupId, Description: `opsdeck ${request.tags.jobId}` },
          ],
        };
  try {
    const { SecurityGroupRules } = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: request.groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: request.port, ToPort: request.port, ...source },
        ],
        TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: jobTags(request.tags) }],
      }),
      { abortSignal: signal },
    );
    return { ruleId: SecurityGroupRules?.[0]?.SecurityGroupRuleId, owned: true };
  } catch (error) {
    if ((error as Error).name !== 'InvalidPermission.Duplicate') throw error;
    return { ruleId: undefined, owned: false };
  }
}

/** Revokes the rule; one that is gone already (or its group) counts as revoked. */
export async function revokeIngress(
  ec2: EC2Client,
  groupId: string,
  ruleId: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] }),
      { abortSignal: signal },
    );
  } catch (error) {
    const code = (error as Error).name;
    if (code !== 'InvalidPermission.NotFound' && code !== 'InvalidGroup.NotFound') throw error;
  }
}
