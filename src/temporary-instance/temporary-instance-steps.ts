import { ErrorCode, OpsdeckError } from '../errors';
import type { MysqlEndpoint } from '../mysql/database-access';
import type { StepContext } from '../runbook/define-runbook';
import { sayAtMostEveryInterval } from '../runbook/rate-limited-say';
import type { DBInstance } from '@aws-sdk/client-rds';
import { findJobRule, openIngress, revokeIngress, type IngressSource } from '../aws/ingress-rule';
import { describeInstance, endpointOf } from '../aws/rds-instance';
import { TAG, tagValue } from '../aws/resource-tags';
import { deleteAndWaitGone, waitUntilAvailable } from '../aws/temporary-instance';
import { createJobGroup, deleteJobGroup, findJobGroup } from '../aws/temporary-security-group';
import { formatDuration } from '../util/duration';
import { md } from '../slack/mrkdwn';

/**
 * Runbook steps shared by the runbooks that work on a temporary RDS instance of their own (a
 * point-in-time restore, a read replica): wait for it with progress, let the workers reach it
 * through a tagged security-group rule, and take both away again. Their durable state lives in
 * the job's state under the keys of TemporaryInstanceState.
 */
export interface TemporaryInstanceState {
  /** Set before CreateSecurityGroup is called for the job's own group. */
  jobGroupRequested?: boolean;
  /** The job's own security group for its instance (none when the config names groups). */
  jobGroupId?: string;
  waitStartedAt?: number;
  securityGroupId?: string;
  /** Set before AuthorizeSecurityGroupIngress is called. */
  ruleRequested?: boolean;
  ruleId?: string;
  /** False when an identical rule was there already: someone else's, never revoked. */
  ruleOwned?: boolean;
}

export interface InstanceWaitLimits {
  maxWaitMinutes: number;
  pollSeconds: number;
}

const stateOf = (ctx: StepContext<unknown>) => ctx.state as TemporaryInstanceState;

/** Waits until `name` is available (the wait's start survives a resume); returns its endpoint. */
export async function waitForTemporaryInstance(
  ctx: StepContext<unknown>,
  name: string,
  limits: InstanceWaitLimits,
): Promise<MysqlEndpoint> {
  let { waitStartedAt } = stateOf(ctx);
  if (waitStartedAt === undefined) {
    waitStartedAt = Date.now();
    await ctx.remember({ waitStartedAt });
  }
  const maxWaitMs = limits.maxWaitMinutes * 60_000;
  const report = sayAtMostEveryInterval(ctx, -Infinity);
  const instance = await waitUntilAvailable(ctx.services.aws.rds, name, {
    startedAt: waitStartedAt,
    maxWaitMs,
    pollMs: limits.pollSeconds * 1000,
    signal: ctx.signal,
    onPoll: (status, waited) =>
      report(
        md`:hourglass_flowing_sand: \`${name}\` is ${status}, waited ${formatDuration(waited)} of at most ${formatDuration(maxWaitMs)}`,
      ),
  });
  const endpoint = endpointOf(instance);
  await ctx.say(
    md`\`${name}\` is available after ${formatDuration(Date.now() - waitStartedAt)} (${endpoint.host}:${endpoint.port})`,
  );
  return endpoint;
}

/** Deletes `name` (no final snapshot) and waits until it is gone, with a status line now and then. */
export async function deleteTemporaryInstance(
  ctx: StepContext<unknown>,
  name: string,
  limits: InstanceWaitLimits,
): Promise<void> {
  const startedAt = Date.now();
  const report = sayAtMostEveryInterval(ctx, startedAt);
  await deleteAndWaitGone(ctx.services.aws.rds, name, {
    startedAt,
    maxWaitMs: limits.maxWaitMinutes * 60_000,
    pollMs: limits.pollSeconds * 1000,
    onPoll: (status, waited) =>
      report(md`:hourglass_flowing_sand: \`${name}\` ${status}, ${formatDuration(waited)}`),
  });
  await ctx.say(md`deleted \`${name}\` (no final snapshot, automated backups deleted)`);
}

/**
 * Gives the job's instance `name` a security group of its own (tagged with the job), unless the
 * config names groups for it (`namedGroups`): the workers' rule then goes into a group no other
 * job uses, so two jobs on one source never share a rule nor revoke it under each other. Returns
 * the groups the instance is to be created in (none: RDS's default group).
 */
export async function createInstanceGroup(
  ctx: StepContext<unknown>,
  name: string,
  purpose: string,
  source: DBInstance,
  namedGroups: readonly string[],
): Promise<string[]> {
  if (namedGroups.length > 0) {
    await ctx.say(
      md`the instance goes into the configured security group(s) ${namedGroups.join(', ')}`,
    );
    return [...namedGroups];
  }
  await ctx.remember({ jobGroupRequested: true });
  const { groupId, created } = await createJobGroup(
    ctx.services.aws.ec2,
    {
      name: `opsdeck-${name}`,
      description: `opsdeck ${purpose} job ${ctx.meta.jobId}: the workers' access to ${name}`,
      vpcId: source.DBSubnetGroup?.VpcId,
      tags: {
        jobId: ctx.meta.jobId,
        purpose,
        requestedBy: ctx.meta.actor.id,
        source: source.DBInstanceIdentifier!,
      },
    },
    ctx.signal,
  );
  await ctx.remember({ jobGroupId: groupId });
  await ctx.say(
    created
      ? md`created security group ${groupId} (opsdeck-${name}, tagged with the job) for \`${name}\`: nothing is let in until the network is opened`
      : md`security group ${groupId} was already created by this job; not again`,
  );
  return [groupId];
}

/**
 * Deletes the job's own group once its instance is gone; an instance kept with --keep-instance
 * (`keptInstance`, tagged opsdeck:keep) keeps its group, and the thread says so.
 */
export async function deleteInstanceGroup(
  ctx: StepContext<unknown>,
  limits: InstanceWaitLimits,
  keptInstance?: string,
): Promise<void> {
  if (!stateOf(ctx).jobGroupRequested) return;
  const { ec2, rds } = ctx.services.aws;
  const groupId =
    stateOf(ctx).jobGroupId ?? (await findJobGroup(ec2, ctx.meta.jobId))?.GroupId ?? undefined;
  if (groupId === undefined) return;
  if (keptInstance !== undefined) {
    const instance = await describeInstance(rds, keptInstance);
    if (instance && tagValue(instance.TagList, TAG.keep) !== undefined) {
      await ctx.say(
        md`security group ${groupId} stays with the kept \`${keptInstance}\`: delete it after the instance`,
      );
      return;
    }
  }
  await deleteJobGroup(ec2, groupId, {
    pollMs: limits.pollSeconds * 1000,
    maxWaitMs: Math.min(limits.maxWaitMinutes * 60_000, 10 * 60_000),
  });
  await ctx.say(md`deleted security group ${groupId}`);
}

/** Where the workers connect from (`restoreTable.workerCidr` / `workerSecurityGroupId`). */
function workerSource(ctx: StepContext<unknown>): IngressSource {
  const { workerCidr, workerSecurityGroupId } = ctx.services.config.restoreTable;
  if (workerCidr !== undefined) return { cidr: workerCidr };
  return { securityGroupId: workerSecurityGroupId! };
}

/**
 * Opens the instance's port (its endpoint's: 3306 unless the source uses another) from the workers
 * in `name`'s first security group, with a rule tagged with the job.
 */
export async function openWorkerIngress(
  ctx: StepContext<unknown>,
  name: string,
  purpose: string,
): Promise<void> {
  const instance = await describeInstance(ctx.services.aws.rds, name, ctx.signal);
  const groupId = instance?.VpcSecurityGroups?.[0]?.VpcSecurityGroupId;
  if (instance === undefined || groupId === undefined)
    throw new OpsdeckError(ErrorCode.RdsInstanceUnusable, `\`${name}\` has no VPC security group`);
  const { port } = endpointOf(instance);
  await ctx.remember({ securityGroupId: groupId, ruleRequested: true });
  const from = workerSource(ctx);
  const { ruleId, owned } = await openIngress(
    ctx.services.aws.ec2,
    {
      groupId,
      port,
      from,
      tags: { jobId: ctx.meta.jobId, purpose, requestedBy: ctx.meta.actor.id, source: name },
    },
    ctx.signal,
  );
  await ctx.remember({ ruleId, ruleOwned: owned });
  const peer = 'cidr' in from ? from.cidr : from.securityGroupId;
  await ctx.say(
    owned
      ? md`opened tcp/${port} from ${peer} in ${groupId} (rule ${ruleId ?? 'id unknown'}, tagged with the job)`
      : md`tcp/${port} from ${peer} was open in ${groupId} already (not this job's rule: it stays)`,
  );
}

/** Revokes the job's rule, found by its recorded id or by the job's tag; never someone else's. */
export async function closeWorkerIngress(ctx: StepContext<unknown>): Promise<void> {
  const { securityGroupId, ruleRequested, ruleOwned } = stateOf(ctx);
  if (!ruleRequested || securityGroupId === undefined || ruleOwned === false) return;
  const { ec2 } = ctx.services.aws;
  const ruleId =
    stateOf(ctx).ruleId ??
    (await findJobRule(ec2, securityGroupId, ctx.meta.jobId))?.SecurityGroupRuleId;
  if (ruleId === undefined) return;
  await revokeIngress(ec2, securityGroupId, ruleId);
  await ctx.say(md`revoked rule ${ruleId} in ${securityGroupId}`);
}
