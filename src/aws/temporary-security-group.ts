import {
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { ErrorCode, OpsdeckError } from '../errors';
import { sleep } from '../util/sleep';
import { TAG, jobTags, tagValue, type JobTags } from './resource-tags';

/**
 * A security group of one job's own, for its temporary instance: the rule that lets the workers
 * in goes there, so two jobs on the same source never share (and never revoke) each other's rule.
 * Named after the instance, tagged with the job (the leftover sweep finds it), created at most
 * once, deleted once the instance is gone.
 */
export interface TemporaryGroupRequest {
  name: string;
  description: string;
  /** The source's VPC (its subnet group's); the default VPC when unknown. */
  vpcId?: string | undefined;
  tags: JobTags;
}

/** The job's group, found by its tag. */
export async function findJobGroup(
  ec2: EC2Client,
  jobId: string,
  signal?: AbortSignal,
): Promise<SecurityGroup | undefined> {
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${TAG.jobId}`, Values: [jobId] }] }),
    { abortSignal: signal },
  );
  return SecurityGroups?.[0];
}

/** Creates the job's group unless it exists (found by its tag, or by name with the job's tag). */
export async function createJobGroup(
  ec2: EC2Client,
  request: TemporaryGroupRequest,
  signal?: AbortSignal,
): Promise<{ groupId: string; created: boolean }> {
  const existing = await findJobGroup(ec2, request.tags.jobId, signal);
  if (existing?.GroupId) return { groupId: existing.GroupId, created: false };
  try {
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: request.name,
        Description: request.description,
        ...(request.vpcId && { VpcId: request.vpcId }),
        TagSpecifications: [{ ResourceType: 'security-group', Tags: jobTags(request.tags) }],
      }),
      { abortSignal: signal },
    );
    return { groupId: GroupId!, created: true };
  } catch (error) {
    if ((error as Error).name !== 'InvalidGroup.Duplicate') throw error;
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'group-name', Values: [request.name] }],
      }),
      { abortSignal: signal },
    );
    const named = SecurityGroups?.[0];
    if (named?.GroupId && tagValue(named.Tags, TAG.jobId) === request.tags.jobId)
      return { groupId: named.GroupId, created: false };
    throw new OpsdeckError(
      ErrorCode.ResourceConflict,
      `a security group named ${request.name} exists and is not this job's; nothing was created`,
    );
  }
}

/**
 * Deletes the group; gone already counts as deleted. EC2 refuses (DependencyViolation) while an
 * instance still uses it, which lasts a little after the instance is gone: it is asked again
 * every `pollMs` until `maxWaitMs`.
 */
export async function deleteJobGroup(
  ec2: EC2Client,
  groupId: string,
  limits: { pollMs: number; maxWaitMs: number },
): Promise<void> {
  const deadline = Date.now() + limits.maxWaitMs;
  for (;;) {
    try {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
      return;
    } catch (error) {
      const code = (error as Error).name;
      if (code === 'InvalidGroup.NotFound') return;
      if (code !== 'DependencyViolation' || Date.now() >= deadline) throw error;
      await sleep(limits.pollMs);
    }
  }
}
