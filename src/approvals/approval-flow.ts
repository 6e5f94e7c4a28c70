import { randomUUID } from 'node:crypto';
import {
  approvalDecidedMessage,
  approvalRequestMessage,
  type StoredPlan,
} from './approval-messages';
import { code, date, md, mention, type Mrkdwn } from '../slack/mrkdwn';
import {
  ApprovalStore,
  ApprovalTamperedError,
  deriveApprovalId,
  type ApprovalRecord,
  type DecideOutcome,
} from './approval-store';
import {
  authorizeApprovalDecision,
  userGroupsNamed,
  type AccessRequest,
  type RequiredApproval,
} from './access-policy';
import type { AuditEventInput } from '../audit/audit-event';
import type { AuditWriter } from '../audit/audit-writer';
import type { OpsdeckConfig } from '../config/schema';
import { describeError } from '../errors';
import { workRefused } from '../metrics/metrics';
import type { Logger } from '../log/logger';
import type { JobEnvelope, Person } from '../runbook/job-envelope';
import type { PlannedDigests } from '../runbook/plan-digest';
import { deriveJobId } from '../queue/job-id';
import type { JobStore } from '../queue/job-store';
import {
  USER_GROUP_LOOKUP_MS,
  describeUnresolved,
  type UserGroupLookup,
  type UserGroupMembership,
} from '../slack/user-group-membership';
import { type MessageSink } from '../notify/message-sink';

/**
 * Two-person approvals in the front door. A request whose rule asks for approval is not
 * enqueued: its plan is posted to the alert channel (through the outbox, thread key = approval
 * id, so a Slack outage delays the message instead of failing the request, and the decided
 * state edits the same message in order) with Approve/Reject buttons. A click is checked
 * against the policy as it is then; only an approval enqueues the job, with the job id derived
 * from the approval id, so an approval enqueues at most one job.
 */

/** What an approval carries besides the message's plan: everything to enqueue the job later. */
export interface PendingJob extends StoredPlan {
  runbook: string;
  input: Record<string, unknown>;
  /**
   * The digests of the runbook and input the plan was made from: the job carries them, and the
   * worker refuses to run it if its runbook or input no longer matches (plan-digest.ts).
   */
  planned?: PlannedDigests;
  /** The command as typed, redacted. */
  typed: string;
  requestedAt: string;
}

export interface ApprovalDeps {
  config: OpsdeckConfig;
  approvals: ApprovalStore;
  audit: AuditWriter;
  outbox: MessageSink;
  jobs: JobStore;
  /** Which Slack user groups the requester or clicker is in, for rules naming user groups. */
  userGroups: Pick<UserGroupMembership, 'lookUp'>;
  logger: Logger;
}

export interface ApprovalRequest {
  request: AccessRequest;
  requester: Person;
  requirement: RequiredApproval;
  job: PendingJob;
}

/**
 * The approval id of a Slack request (`<team>:<trigger id>`, so a redelivery finds the same
 * approval) and the job id the job will have once approved.
 */
export function reserveApproval(
  runbook: string,
  requestKey: string,
): { approvalId: string; jobId: string } {
  const approvalId = deriveApprovalId(requestKey);
  return { approvalId, jobId: deriveJobId(runbook, approvalId) };
}

/**
 * Stores the approval, records `approval-requested` and posts the plan. Call it once the
 * `requested` event is written (fail closed); answers the requester's ephemeral text. A request
 * delivered again finds its approval and posts nothing.
 */
export async function requestApproval(
  deps: ApprovalDeps,
  ids: { approvalId: string; jobId: string },
  req: ApprovalRequest,
): Promise<Mrkdwn> {
  const { requirement } = req;
  const { created, record } = await deps.approvals.createOnce<PendingJob>({
    id: ids.approvalId,
    request: req.request,
    requesterName: req.requester.name,
    requirement: { group: requirement.group, distinct: requirement.distinct },
    plan: req.job,
    ttlMs: requirement.ttlMs,
  });
  if (!created) {
    return md`:information_source: This request was already received: approval ${code(record.id)} (${record.status}, posted in ${deps.config.slack.alertChannel}); nothing new was posted.`;
  }
  await postApproval(deps, record, ids.jobId);
  const who = requirement.distinct
    ? md`someone other than you in *${requirement.group}*`
    : md`a member of *${requirement.group}*`;
  return md`:hourglass_flowing_sand: ${code(req.request.command)} needs approval by ${who}. The plan is posted in ${deps.config.slack.alertChannel} (${code(record.id)}, expires ${date(record.expiresAt)}); once approved it runs as ${code(ids.jobId)}.`;
}

/** What posting an approval needs (the front door, or a runbook asking mid-run). */
export type ApprovalPostDeps = Pick<ApprovalDeps, 'config' | 'outbox'> & {
  audit: Pick<AuditWriter, 'recordJobEvent'>;
};

/**
 * Records `approval-requested` (once per approval, however often it is called) and posts the
 * plan with its buttons to the alert channel, thread key = approval id.
 */
export async function postApproval(
  deps: ApprovalPostDeps,
  record: ApprovalRecord<PendingJob>,
  jobId = jobIdOf(record),
): Promise<void> {
  await deps.audit.recordJobEvent({
    ...auditFields(record, jobId),
    eventId: `${record.id}:approval-requested`,
    type: 'approval-requested',
    actor: { id: record.request.userId, name: record.requesterName ?? record.request.userId },
    detail: {
      approvalId: record.id,
      group: record.requirement.group,
      distinct: record.requirement.distinct,
      expiresAt: new Date(record.expiresAt).toISOString(),
    },
  });
  await deps.outbox.enqueue(record.id, {
    kind: 'root',
    channel: deps.config.slack.alertChannel,
    ...approvalRequestMessage(record),
  });
}

export interface ApprovalClick {
  approvalId: string;
  decision: 'approve' | 'reject';
  user: Person;
  channel?: Person;
}

/**
 * An Approve or Reject click: checked against the policy now, decided once, audited, the
 * message edited, and on approval the job enqueued. Answers the clicker's ephemeral text;
 * never throws.
 */
export async function decideApproval(deps: ApprovalDeps, click: ApprovalClick): Promise<Mrkdwn> {
  try {
    return await decide(deps, click);
  } catch (error) {
    const reference = randomUUID().slice(0, 8);
    deps.logger.error(
      { err: error, reference, approvalId: click.approvalId },
      'approval click failed',
    );
    return md`:x: The click could not be handled (${describeError(error)}). Reference ${code(reference)}.`;
  }
}

async function decide(deps: ApprovalDeps, click: ApprovalClick): Promise<Mrkdwn> {
  if (click.decision === 'approve') {
    // Fail closed: approving starts a change, so the trail must be writable first.
    try {
      await deps.audit.ensureWritable();
    } catch (error) {
      return md`:lock: Nothing was decided: ${describeError(error)}`;
    }
  }
  // Memberships as they are now, not as stored with the request: the clicker's, and the
  // requester's (used where the rule says so: approval.recheckRequester, the default).
  const named = userGroupsNamed(deps.config.access);
  const groups = await deps.userGroups.lookUp(click.user.id, named, USER_GROUP_LOOKUP_MS);
  const requesterGroups = new Map<string, UserGroupLookup>();
  const requesterGroupsOf = async (userId: string) => {
    const known = requesterGroups.get(userId);
    if (known) return known;
    const found = await deps.userGroups.lookUp(userId, named, USER_GROUP_LOOKUP_MS);
    requesterGroups.set(userId, found);
    return found;
  };
  let refusal = '';
  let why = '';
  const outcome: DecideOutcome<PendingJob> = await deps.approvals.decide<PendingJob>(
    click.approvalId,
    { approverId: click.user.id, decision: click.decision },
    async (approverId, record, decision) => {
      const requester =
        decision === 'approve' ? await requesterGroupsOf(record.request.userId) : undefined;
      const verdict = authorizeApprovalDecision(deps.config.access, {
        request: record.request,
        requirement: record.requirement,
        approverId,
        approverGroupIds: groups.memberOf,
        ...(requester && { requesterGroupIds: requester.memberOf }),
        decision,
      });
      if (!verdict.ok) {
        refusal = verdict.message;
        if (verdict.reason === 'not-approver') why = describeUnresolved(groups);
        if (verdict.reason === 'no-longer-allowed' && requester) {
          why = describeUnresolved(requester)
            .replace('whether you are', 'whether the requester is')
            .replace('to you', 'to the requester');
        }
      }
      return verdict.ok;
    },
  );
  switch (outcome.outcome) {
    case 'not-found':
      return md`:warning: No approval ${code(click.approvalId)} (unknown, or decided more than a week ago). Nothing happens.`;
    case 'already-decided': {
      const { record } = outcome;
      const by = record.decidedBy === undefined ? md`` : md` by ${mention(record.decidedBy)}`;
      return md`:information_source: This approval was already ${record.status}${by}; nothing more happens.`;
    }
    case 'expired':
      if (outcome.first) await announceExpired(deps, outcome.record);
      return md`:hourglass: This approval expired ${date(outcome.record.expiresAt)}; nothing happens. Run the command again to ask anew.`;
    case 'self-approval-refused':
      await refused(deps, click, outcome.record, 'self-approval');
      return md`:no_entry: You asked for this one: it needs approval by someone other than the requester (two-person rule).`;
    case 'not-allowed':
      await refused(deps, click, outcome.record, refusal);
      return why ? md`:no_entry: Refused: ${refusal}. ${why}` : md`:no_entry: Refused: ${refusal}.`;
    case 'rejected': {
      const { record } = outcome;
      await deps.audit.recordJobEvent({
        ...auditFields(record, jobIdOf(record)),
        type: 'rejected',
        actor: click.user,
        detail: { approvalId: record.id },
      });
      await announce(deps, record);
      return record.jobId === undefined
        ? md`:x: Rejected; ${code(record.request.command)} will not run.`
        : md`:x: Rejected; job ${code(record.jobId)} stops here and its cleanups run.`;
    }
    case 'approved':
      return approved(deps, click, outcome.record);
    case 'tampered':
      await tampered(deps, click, outcome.error);
      return md`:rotating_light: Approval ${code(click.approvalId)} is not as opsdeck stored it (${outcome.error.message}): nothing was decided and nothing runs. This is in the audit trail; ask the requester to run the command again.`;
  }
}

/**
 * A click on an approval that does not check (edited or added in Redis): a `refused` row in the
 * trail with the clicker and the reason, a metric; the record's own contents are not trusted, so
 * none of them is used.
 */
async function tampered(
  deps: ApprovalDeps,
  click: ApprovalClick,
  error: ApprovalTamperedError,
): Promise<void> {
  workRefused.inc({ kind: error.part });
  deps.logger.error({ approvalId: click.approvalId, err: error }, 'approval refused');
  await deps.audit.recordJobEvent({
    type: 'refused',
    actor: click.user,
    ...(click.channel && { channel: click.channel }),
    detail: {
      kind: error.part,
      approvalId: click.approvalId,
      decision: click.decision,
      reason: error.message,
    },
  });
}

async function approved(
  deps: ApprovalDeps,
  click: ApprovalClick,
  record: ApprovalRecord<PendingJob>,
): Promise<Mrkdwn> {
  const jobId = jobIdOf(record);
  await deps.audit.recordJobEvent({
    ...auditFields(record, jobId),
    type: 'approved',
    actor: click.user,
    detail: { approvalId: record.id, ...(record.plan.planned && { planned: record.plan.planned }) },
  });
  await announce(deps, record);
  // Asked for mid-run: the waiting job sees the decision and goes on; nothing is enqueued.
  if (record.jobId !== undefined) {
    return md`:white_check_mark: Approved; job ${code(jobId)} continues. Progress goes to ${deps.config.slack.alertChannel}.`;
  }
  const { plan, request } = record;
  const envelope: JobEnvelope = {
    meta: {
      jobId,
      command: plan.typed,
      commandName: request.command,
      runbook: plan.runbook,
      summary: plan.summary,
      ...(request.target !== undefined && { target: request.target }),
      actor: { id: request.userId, name: record.requesterName ?? request.userId },
      channel: { id: request.channelId, name: request.channelName ?? request.channelId },
      requestedAt: plan.requestedAt,
      approvedBy: click.user,
      ...(plan.planned && { planned: plan.planned }),
      correlationId: randomUUID(),
    },
    input: plan.input,
  };
  try {
    const { job } = await deps.jobs.enqueue(envelope);
    return md`:white_check_mark: Approved; ${code(job.id!)} is queued. Progress goes to ${deps.config.slack.alertChannel}.`;
  } catch (error) {
    deps.logger.error({ err: error, jobId, approvalId: record.id }, 'approved job not enqueued');
    return md`:x: Approved, but the job could not be queued (${describeError(error)}). Ask ${mention(request.userId)} to run the command again.`;
  }
}

/** Marks the expired approvals of the sweep (or of a late click) in the trail and in Slack. */
export async function announceExpired(
  deps: Pick<ApprovalPostDeps, 'audit' | 'outbox'>,
  record: ApprovalRecord<PendingJob>,
): Promise<void> {
  await deps.audit.recordJobEvent({
    ...auditFields(record, jobIdOf(record)),
    type: 'expired',
    at: record.decidedAt ?? record.expiresAt,
    detail: { approvalId: record.id },
  });
  await announce(deps, record);
}

/** Edits the message of an approval withdrawn because its job was cancelled. */
export async function announceWithdrawn(
  deps: Pick<ApprovalPostDeps, 'outbox'>,
  record: ApprovalRecord<PendingJob>,
): Promise<void> {
  await announce(deps, record);
}

/**
 * Sweeps expired approvals every `intervalMs` (in the bot). Each expired approval is found by
 * exactly one sweeping process; returns how to stop.
 */
export function startApprovalExpiry(deps: ApprovalDeps, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      for (const record of await deps.approvals.sweepExpired<PendingJob>()) {
        await announceExpired(deps, record);
      }
    })()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'approval expiry sweep failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Edits the approval message into its decided state (buttons gone). */
async function announce(
  deps: Pick<ApprovalDeps, 'outbox'>,
  record: ApprovalRecord<PendingJob>,
): Promise<void> {
  await deps.outbox.enqueue(record.id, { kind: 'update-root', ...approvalDecidedMessage(record) });
}

/** A refused click is a denial in the trail (outside the job, whose story it does not change). */
async function refused(
  deps: ApprovalDeps,
  click: ApprovalClick,
  record: ApprovalRecord<PendingJob>,
  reason: string,
): Promise<void> {
  await deps.audit.recordJobEvent({
    ...auditFields(record),
    type: 'denied',
    actor: click.user,
    ...(click.channel && { channel: click.channel }),
    detail: { reason, approvalId: record.id, decision: click.decision, jobId: jobIdOf(record) },
  });
}

function jobIdOf(record: ApprovalRecord<PendingJob>): string {
  return record.jobId ?? deriveJobId(record.plan.runbook, record.id);
}

function auditFields(
  record: ApprovalRecord<PendingJob>,
  jobId?: string,
): Omit<AuditEventInput, 'type'> {
  const { request } = record;
  return {
    ...(jobId !== undefined && { jobId }),
    command: request.command,
    ...(request.target !== undefined && { target: request.target }),
    channel: {
      id: request.channelId,
      ...(request.channelName !== undefined && { name: request.channelName }),
    },
    args: record.plan.input,
  };
}
