import type { ApprovalGate, ApprovalPlan, ApprovalWait } from '../runbook/approval-gate';
import { ApprovalTamperedError, newApprovalId } from './approval-store';
import { workRefused } from '../metrics/metrics';
import {
  authorize,
  userGroupsNamed,
  type AccessRequest,
  type RequiredApproval,
} from './access-policy';
import { CancelledError, ErrorCode, OpsdeckError, TransientError } from '../errors';
import { announceExpired, announceWithdrawn, postApproval, type PendingJob } from './approval-flow';
import { describeUnresolved } from '../slack/user-group-membership';
import { storePlan } from './approval-messages';
import type { ApprovalStore } from './approval-store';
import type { ApprovalPostDeps } from './approval-flow';
import type { AuditWriter } from '../audit/audit-writer';
import type { CancelRequests } from '../queue/cancellation';
import type { UserGroupMembership } from '../slack/user-group-membership';
import { sleep } from '../util/sleep';
import { code, date, md, mention } from '../slack/mrkdwn';
import { isoSeconds } from '../util/time';

/**
 * A runbook asks for approval mid-run (before touching production, say), under the same access
 * rules as a request at the front door: the request is the job's own (command, target,
 * requester, channel), the approver group, two-person rule and lifetime come from the rule that
 * allows it now, or, when that rule asks for none, from the policy's admins group with the
 * two-person rule (a runbook that asks wants a second person). Clicks are checked and decided
 * by the front door exactly as for any approval; the record carries the job id, so an approval
 * enqueues nothing.
 *
 * Crash-safe: the approval id is remembered in the job's state before the approval exists, and
 * that it was posted once it was, so a resumed step waits for the same approval and posts
 * nothing twice (only a crash between posting and remembering can post it again).
 */

/** What the gate needs, built once per worker process. */
export interface MidRunApprovalDeps extends ApprovalPostDeps {
  /** The store the clicks decide in, */
  approvals: ApprovalStore;
  /** the audit trail (approval-requested, expired), */
  audit: Pick<AuditWriter, 'recordJobEvent'>;
  /** the requester's Slack user groups, for rules that name them, */
  userGroups: Pick<UserGroupMembership, 'lookUp'>;
  /** and who cancelled a job (an approval it waited for is withdrawn in their name). */
  cancels: Pick<CancelRequests, 'requestedBy'>;
}

/** The engine's approval gate, as the access rules and the approval store decide. */
export class MidRunApprovals implements ApprovalGate {
  constructor(private readonly services: MidRunApprovalDeps) {}

  async awaitApproval(wait: ApprovalWait, plan: ApprovalPlan): Promise<string> {
    try {
      return await awaitApproval({ ...wait, services: this.services }, plan);
    } catch (error) {
      if (error instanceof ApprovalTamperedError) await refused(wait, this.services, error);
      throw error;
    }
  }
}

/**
 * The approval the job waits for was edited or forged in Redis (an `approved` nobody clicked):
 * the step fails with the reason (not retried: the job fails and its cleanups run), and the
 * trail gets a `refused` row.
 */
async function refused(
  wait: ApprovalWait,
  services: MidRunApprovalDeps,
  error: ApprovalTamperedError,
): Promise<void> {
  workRefused.inc({ kind: error.part });
  const { meta } = wait;
  await services.audit.recordJobEvent({
    type: 'refused',
    jobId: meta.jobId,
    actor: meta.actor,
    channel: meta.channel,
    command: meta.commandName ?? meta.runbook,
    ...(meta.target !== undefined && { target: meta.target }),
    detail: { kind: error.part, approvalId: error.approvalId, reason: error.message },
  });
}

interface MidRunApprovalContext extends ApprovalWait {
  services: MidRunApprovalDeps;
}

interface Remembered {
  id: string;
  posted: boolean;
}

/** How often the decision is looked for while waiting. */
const POLL_MS = 500;
/** A worker has no ack to answer: it can wait longer for Slack to name user-group members. */
const USER_GROUP_LOOKUP_MS = 5000;

/** Posts the plan for approval (once) and waits for the decision; resolves with the approver's id. */
async function awaitApproval(ctx: MidRunApprovalContext, plan: ApprovalPlan): Promise<string> {
  const { services } = ctx;
  let remembered = ctx.state[ctx.stateKey] as Remembered | undefined;
  if (!remembered) {
    remembered = { id: newApprovalId(), posted: false };
    await ctx.remember({ [ctx.stateKey]: remembered });
  }
  const { id } = remembered;
  let record = await services.approvals.get<PendingJob>(id);
  if (!record) {
    const { request, requirement } = await approvalFor(ctx);
    record = await services.approvals.create<PendingJob>({
      id,
      request,
      requesterName: ctx.meta.actor.name,
      requirement: { group: requirement.group, distinct: requirement.distinct },
      plan: {
        ...storePlan(plan),
        runbook: ctx.meta.runbook,
        input: ctx.input,
        ...(ctx.meta.planned && { planned: ctx.meta.planned }),
        typed: ctx.meta.command,
        requestedAt: ctx.meta.requestedAt,
      },
      ttlMs: requirement.ttlMs,
      jobId: ctx.meta.jobId,
    });
  }
  if (!remembered.posted) {
    await postApproval(services, record);
    await ctx.remember({ [ctx.stateKey]: { id, posted: true } });
    const { group, distinct } = record.requirement;
    const who = distinct
      ? `someone other than the requester in *${group}*`
      : `a member of *${group}*`;
    await ctx.say(
      md`:hourglass_flowing_sand: waiting for approval by ${who}: the plan is posted in ${services.config.slack.alertChannel} (\`${id}\`, expires ${date(record.expiresAt)})`,
    );
  }
  return waitForDecision(ctx, id);
}

async function waitForDecision(ctx: MidRunApprovalContext, id: string): Promise<string> {
  const { approvals } = ctx.services;
  for (;;) {
    const record = await approvals.get<PendingJob>(id);
    if (!record) {
      throw new OpsdeckError(ErrorCode.ApprovalExpired, `approval ${id} is gone from the store`);
    }
    switch (record.status) {
      case 'approved': {
        const by = record.decidedBy ?? 'unknown';
        await ctx.say(md`:white_check_mark: approved by ${mention(by)} (${code(id)}); going on`);
        return by;
      }
      case 'rejected':
        throw new OpsdeckError(
          ErrorCode.ApprovalRejected,
          `approval ${id} was rejected by ${record.decidedBy ?? 'someone unknown'}`,
        );
      case 'expired':
        throw new OpsdeckError(
          ErrorCode.ApprovalExpired,
          `approval ${id} expired at ${isoSeconds(record.expiresAt)} without a decision`,
        );
      case 'pending':
        if (Date.now() >= record.expiresAt) {
          // Whoever sweeps first (a bot or this worker) announces each expiry, exactly once.
          for (const expired of await approvals.sweepExpired<PendingJob>()) {
            await announceExpired(ctx.services, expired);
          }
          continue;
        }
        try {
          await sleep(POLL_MS, ctx.signal);
        } catch (error) {
          if (error instanceof CancelledError) await withdraw(ctx, id);
          throw error;
        }
    }
  }
}

/** The job was cancelled while waiting: its approval's buttons must stop meaning anything. */
async function withdraw(ctx: MidRunApprovalContext, id: string): Promise<void> {
  const by = (await ctx.services.cancels.requestedBy(ctx.meta.jobId))?.id ?? 'unknown';
  const withdrawn = await ctx.services.approvals.withdraw<PendingJob>(id, by);
  if (withdrawn) await announceWithdrawn(ctx.services, withdrawn);
}

/** The job's request under the policy as it is now, and who must approve it. */
async function approvalFor(
  ctx: MidRunApprovalContext,
): Promise<{ request: AccessRequest; requirement: RequiredApproval }> {
  const { meta, services } = ctx;
  const policy = services.config.access;
  const groups = await services.userGroups.lookUp(
    meta.actor.id,
    userGroupsNamed(policy),
    USER_GROUP_LOOKUP_MS,
  );
  const request: AccessRequest = {
    command: meta.commandName ?? meta.runbook,
    ...(meta.target !== undefined && { target: meta.target }),
    readOnly: false,
    userId: meta.actor.id,
    channelId: meta.channel.id,
    channelName: meta.channel.name,
    ...(groups.memberOf.length > 0 && { userGroupIds: groups.memberOf }),
  };
  const decision = authorize(policy, request);
  if (!decision.allowed) {
    if (decision.reason === 'not-in-group' && groups.unresolved.length > 0) {
      throw new TransientError(`cannot ask for approval yet: ${describeUnresolved(groups)}`);
    }
    throw new OpsdeckError(
      ErrorCode.ApprovalImpossible,
      `cannot ask for approval: the request is no longer allowed (${decision.message})`,
    );
  }
  if (decision.approval) return { request, requirement: decision.approval };
  if (policy.admins === undefined) {
    throw new OpsdeckError(
      ErrorCode.ApprovalImpossible,
      `cannot ask for approval: the access rule for \`${request.command}\` names no approval group and the policy no admins group`,
    );
  }
  return {
    request,
    requirement: {
      group: policy.admins,
      distinct: true,
      ttlMs: policy.approvalTtlMinutes * 60_000,
      recheckRequester: true,
    },
  };
}
