import { ErrorCode, OpsdeckError } from '../errors';
import type { OpsdeckConfig } from '../config/schema';
import type { MysqlEndpoint } from '../mysql/database-access';
import { step, type StepContext, type StepDefinition } from '../runbook/define-runbook';
import { sayAtMostEveryInterval } from '../runbook/rate-limited-say';
import type { DBInstance } from '@aws-sdk/client-rds';
import { findJobRule, openIngress, revokeIngress, type IngressSource } from '../aws/ingress-rule';
import { describeInstance, endpointOf } from '../aws/rds-instance';
import { TAG, tagValue, type JobTags } from '../aws/resource-tags';
import {
  deleteAndWaitGone,
  ownedBy,
  tagKept,
  temporaryInstanceName,
  waitUntilAvailable,
} from '../aws/temporary-instance';
import { createJobGroup, deleteJobGroup, findJobGroup } from '../aws/temporary-security-group';
import { DAY_MS, formatDuration } from '../util/duration';
import { md, type Mrkdwn } from '../slack/mrkdwn';

/**
 * The steps of a runbook that works on a temporary RDS instance of its own (`/restore-table`'s
 * point-in-time restore, `/seed-slave`'s read replica), as one group: a security group of the
 * job's own, the instance created in it, waited for with progress, the workers let in through a
 * tagged rule; and, whatever happens, the rule revoked, the instance deleted (or kept, tagged,
 * when asked) and the group deleted. Their durable state is TemporaryInstanceState, part of the
 * runbook's own.
 */
export interface TemporaryInstanceState {
  /** `<source>-<kind>-<job>`, recorded before anything is created. */
  instanceName: string;
  /** Set before CreateSecurityGroup is called for the job's own group. */
  jobGroupRequested: boolean;
  /** The job's own security group for its instance (none when the config names groups). */
  jobGroupId: string;
  waitStartedAt: number;
  /** Where the instance answers, once it is available. */
  instanceEndpoint: MysqlEndpoint;
  securityGroupId: string;
  /** Set before AuthorizeSecurityGroupIngress is called. */
  ruleRequested: boolean;
  ruleId: string;
  /** False when an identical rule was there already: someone else's, never revoked. */
  ruleOwned: boolean;
}

/** What the plan says about the instance: the planner's facts. */
export interface TemporaryInstanceFacts {
  /** The RDS instance the temporary one is made from. */
  sourceInstance: string;
  /** The security groups the config names for it (none: the job makes a group of its own). */
  securityGroupIds: readonly string[];
}

export interface InstanceWaitLimits {
  maxWaitMinutes: number;
  pollSeconds: number;
}

/** The job's instance about to be created, for the runbook's `create`. */
export interface TemporaryInstanceRequest {
  source: DBInstance;
  name: string;
  securityGroupIds: readonly string[];
  tags: JobTags;
}

export interface TemporaryInstanceSpec<I, S extends TemporaryInstanceState, F> {
  /** The job's purpose, on the tags and in the group's description: `restore-table`, `seed-slave`. */
  purpose: string;
  /** The instance name's middle part: `restore`, `seed`. */
  kind: string;
  /** What the instance is, in the plan and the thread: `temporary instance`, `temporary read replica`. */
  noun: string;
  /** Step and cleanup names (the audit trail and the thread show them). */
  names: { create: string; wait: string; deleteInstance: string };
  /** The configured database (`databases`) the instance is made from. */
  database(input: I): string;
  /** Its config section's waits and named groups. */
  settings(config: OpsdeckConfig): InstanceWaitLimits & { securityGroupIds?: readonly string[] };
  /** Starts creating the instance (a restore, a read replica) and says so; at most once. */
  create(ctx: StepContext<I, S, 'instanceName'>, request: TemporaryInstanceRequest): Promise<void>;
  /** What `create` does, for the plan. */
  describeCreate(input: I, facts: F): Mrkdwn;
  /** Keep the instance at the end (tagged opsdeck:keep, with its group): `--keep-instance`. */
  keep?(input: I): boolean;
  /** The error when the source instance is gone by the time the job runs. */
  refused(message: string): Error;
}

/** The group of steps, in order; put it as one element of the runbook's steps. */
export function temporaryInstanceSteps<
  I,
  S extends TemporaryInstanceState,
  F extends TemporaryInstanceFacts,
>(spec: TemporaryInstanceSpec<I, S, F>): StepDefinition<I, S, F>[] {
  type Ctx<K extends keyof S = never> = StepContext<I, S, K>;
  const { noun } = spec;
  const keep = (input: I) => spec.keep?.(input) ?? false;
  const limits = (ctx: Ctx) => spec.settings(ctx.services.config);
  /** The context as these steps use it: their part of the runbook's state. */
  const own = (ctx: Ctx): StepContext<I, TemporaryInstanceState> => ctx;

  async function source(ctx: Ctx): Promise<DBInstance> {
    const { instance } = ctx.services.databases.target(spec.database(ctx.input))!;
    const found = await describeInstance(ctx.services.aws.rds, instance, ctx.signal);
    if (!found) throw spec.refused(`RDS has no instance ${instance} any more`);
    return found;
  }

  async function createGroup(ctx: Ctx): Promise<void> {
    const from = await source(ctx);
    const name = temporaryInstanceName(from.DBInstanceIdentifier!, spec.kind, ctx.meta.jobId);
    await own(ctx).remember({ instanceName: name });
    await createInstanceGroup(ctx, name, spec.purpose, from, limits(ctx).securityGroupIds ?? []);
  }

  async function removeGroup(ctx: Ctx): Promise<void> {
    await deleteInstanceGroup(
      ctx,
      limits(ctx),
      keep(ctx.input) ? ctx.state.instanceName : undefined,
    );
  }

  async function create(ctx: Ctx<'instanceName'>): Promise<void> {
    const from = await source(ctx);
    const { jobGroupId } = ctx.state;
    await spec.create(ctx, {
      source: from,
      name: ctx.state.instanceName,
      securityGroupIds: jobGroupId ? [jobGroupId] : (limits(ctx).securityGroupIds ?? []),
      tags: {
        jobId: ctx.meta.jobId,
        purpose: spec.purpose,
        requestedBy: ctx.meta.actor.id,
        source: from.DBInstanceIdentifier!,
      },
    });
  }

  async function removeInstance(ctx: Ctx): Promise<void> {
    const name = ctx.state.instanceName;
    if (name === undefined) return;
    const { rds } = ctx.services.aws;
    const instance = await describeInstance(rds, name);
    if (!instance) return;
    if (!ownedBy(instance, ctx.meta.jobId)) {
      await ctx.say(md`:warning: \`${name}\` exists but is not this job's; left alone`);
      return;
    }
    if (keep(ctx.input)) {
      await tagKept(rds, instance, ctx.meta.actor.id);
      const where = instance.Endpoint?.Address
        ? ` at ${instance.Endpoint.Address}:${instance.Endpoint.Port}`
        : '';
      await ctx.say(
        md`:warning: kept as asked (--keep-instance): \`${name}\`${where}, ${instance.DBInstanceStatus ?? 'unknown status'}, ${instance.DBInstanceClass ?? 'unknown class'}. It costs money until deleted: delete it (no final snapshot) when done.`,
      );
      return;
    }
    await deleteTemporaryInstance(ctx, name, limits(ctx));
  }

  async function wait(ctx: Ctx<'instanceName'>): Promise<void> {
    const instanceEndpoint = await waitForTemporaryInstance(
      ctx,
      ctx.state.instanceName,
      limits(ctx),
    );
    await own(ctx).remember({ instanceEndpoint });
  }

  async function openNetwork(ctx: Ctx<'instanceName'>): Promise<void> {
    await openWorkerIngress(ctx, ctx.state.instanceName, spec.purpose);
  }

  return [
    step<I, S, F>('create-security-group', createGroup, {
      describe: (_input, facts) =>
        facts.securityGroupIds.length > 0
          ? md`put the ${noun} in the configured security group(s) ${facts.securityGroupIds.join(', ')}`
          : md`create a security group of the job's own for the ${noun}, tagged with the job: nothing is let in until the network is opened`,
      cleanup: {
        name: 'delete-security-group',
        run: removeGroup,
        describe: (input, facts) =>
          facts.securityGroupIds.length > 0
            ? md`leave the configured security group(s) as they are`
            : keep(input)
              ? md`delete the job's security group, unless the kept ${noun} is in it`
              : md`delete the job's security group`,
      },
    }),
    step<I, S, F, 'instanceName'>(spec.names.create, create, {
      needs: ['instanceName'],
      describe: (input, facts) => spec.describeCreate(input, facts),
      timeoutMs: DAY_MS,
      cleanup: {
        name: spec.names.deleteInstance,
        run: removeInstance,
        describe: (input) =>
          keep(input)
            ? md`keep the ${noun} (--keep-instance): tag it opsdeck:keep and say where it is`
            : md`delete the ${noun} (no final snapshot, automated backups deleted) and wait until it is gone`,
      },
    }),
    step<I, S, F, 'instanceName'>(spec.names.wait, wait, {
      needs: ['instanceName'],
      describe: () => md`wait until it is available (progress in the thread)`,
      timeoutMs: DAY_MS,
    }),
    step<I, S, F, 'instanceName'>('open-network', openNetwork, {
      needs: ['instanceName'],
      describe: () => md`open its MySQL port from the workers, with a rule tagged with the job`,
      cleanup: {
        name: 'revoke-rule',
        run: closeWorkerIngress,
        describe: () => md`revoke the rule`,
      },
    }),
  ];
}

const stateOf = (ctx: StepContext<unknown, TemporaryInstanceState>) => ctx.state;

/** Waits until `name` is available (the wait's start survives a resume); returns its endpoint. */
async function waitForTemporaryInstance(
  ctx: StepContext<unknown, TemporaryInstanceState>,
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
async function deleteTemporaryInstance(
  ctx: StepContext<unknown, TemporaryInstanceState>,
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
 * job uses, so two jobs on one source never share a rule nor revoke it under each other.
 */
async function createInstanceGroup(
  ctx: StepContext<unknown, TemporaryInstanceState>,
  name: string,
  purpose: string,
  source: DBInstance,
  namedGroups: readonly string[],
): Promise<void> {
  if (namedGroups.length > 0) {
    await ctx.say(
      md`the instance goes into the configured security group(s) ${namedGroups.join(', ')}`,
    );
    return;
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
}

/**
 * Deletes the job's own group once its instance is gone; an instance kept with --keep-instance
 * (`keptInstance`, tagged opsdeck:keep) keeps its group, and the thread says so.
 */
async function deleteInstanceGroup(
  ctx: StepContext<unknown, TemporaryInstanceState>,
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
function workerSource(ctx: StepContext<unknown, TemporaryInstanceState>): IngressSource {
  const { workerCidr, workerSecurityGroupId } = ctx.services.config.restoreTable;
  if (workerCidr !== undefined) return { cidr: workerCidr };
  return { securityGroupId: workerSecurityGroupId! };
}

/**
 * Opens the instance's port (its endpoint's: 3306 unless the source uses another) from the workers
 * in `name`'s first security group, with a rule tagged with the job.
 */
async function openWorkerIngress(
  ctx: StepContext<unknown, TemporaryInstanceState>,
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
  await ctx.remember({ ...(ruleId !== undefined && { ruleId }), ruleOwned: owned });
  const peer = 'cidr' in from ? from.cidr : from.securityGroupId;
  await ctx.say(
    owned
      ? md`opened tcp/${port} from ${peer} in ${groupId} (rule ${ruleId ?? 'id unknown'}, tagged with the job)`
      : md`tcp/${port} from ${peer} was open in ${groupId} already (not this job's rule: it stays)`,
  );
}

/** Revokes the job's rule, found by its recorded id or by the job's tag; never someone else's. */
async function closeWorkerIngress(
  ctx: StepContext<unknown, TemporaryInstanceState>,
): Promise<void> {
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
