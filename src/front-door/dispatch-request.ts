import { randomUUID } from 'node:crypto';
import type { AccessAllowed, AccessRequest } from '../approvals/access-policy';
import { requestApproval, reserveApproval } from '../approvals/approval-flow';
import { openReview } from '../approvals/emergency-review';
import { storePlan } from '../approvals/approval-messages';
import type { CommandOutcome, RunbookPlan } from '../command/define-command';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import { redactText } from '../log/redact';
import { commandsReceived } from '../metrics/metrics';
import { deriveJobId } from '../queue/job-id';
import type { JobEnvelope } from '../runbook/job-envelope';
import type { AckBudget } from './ack-budget';
import { requestEvent, type Admit } from './admit-request';
import { ephemeral, type EphemeralResponse, type FrontDoorDeps } from './front-door-deps';
import type { ParsedRequest } from './parse-request';
import { code, date, md } from '../slack/mrkdwn';

export interface Dispatch {
  parsed: ParsedRequest;
  request: AccessRequest;
  decision: AccessAllowed;
  outcome: CommandOutcome;
  admit: Admit;
  budget: AckBudget;
  /** The command as typed, for the job and the approval message. */
  typed: string;
  log: Logger;
}

/**
 * Stage 5: what the planner returned, done. A reply is answered (audited, never refused); an
 * action runs once admitted; a runbook is enqueued under a job id derived from the request (a
 * redelivery enqueues nothing new), or, where the rule asks for approval, posted for approval.
 */
export async function dispatchRequest(
  deps: FrontDoorDeps,
  d: Dispatch,
): Promise<EphemeralResponse> {
  const { parsed, decision, outcome, admit, budget, log } = d;
  const metric = parsed.module.name;
  const event = requestEvent(parsed);
  const rule = { rule: decision.ruleIndex };
  switch (outcome.kind) {
    case 'reply': {
      await admit({ ...event, type: 'requested', detail: rule }, true);
      commandsReceived.inc({ command: metric, result: 'reply' });
      return outcome.blocks ? ephemeral(outcome.text, outcome.blocks) : ephemeral(outcome.text);
    }
    case 'action': {
      if (decision.approval) return needsJobForApproval(parsed.command, decision.approval.group);
      const refused = await admit({ ...event, type: 'requested', detail: rule }, false);
      if (refused) return refused;
      const answer = await budget.bound(outcome.run(), outcome.summary);
      commandsReceived.inc({ command: metric, result: 'action' });
      log.info({ action: outcome.summary }, 'action done');
      return answer.blocks ? ephemeral(answer.text, answer.blocks) : ephemeral(answer.text);
    }
    case 'runbook':
      if (decision.breakGlass) return declareEmergency(deps, d, outcome);
      return decision.approval
        ? askForApproval(deps, d, outcome)
        : (await enqueue(deps, d, outcome)).answer;
  }
}

async function askForApproval(
  deps: FrontDoorDeps,
  d: Dispatch,
  plan: RunbookPlan,
): Promise<EphemeralResponse> {
  const { parsed, decision, admit, budget, log } = d;
  const ids = reserveApproval(plan.runbook, requestKey(parsed.requester));
  const event = requestEvent(parsed);
  const refused = await admit(
    {
      ...event,
      type: 'requested',
      jobId: ids.jobId,
      detail: { rule: decision.ruleIndex, approval: true },
    },
    false,
  );
  if (refused) return refused;
  const text = await budget.bound(
    requestApproval(deps, ids, {
      request: d.request,
      requester: event.actor,
      requirement: decision.approval!,
      job: {
        ...storePlan({
          summary: plan.summary,
          steps: plan.steps,
          ...(plan.findings && { findings: plan.findings }),
        }),
        runbook: plan.runbook,
        input: plan.input,
        planned: plan.planned,
        typed: redactText(d.typed),
        requestedAt: new Date().toISOString(),
      },
    }),
    'the approval request',
  );
  commandsReceived.inc({ command: parsed.module.name, result: 'approval-requested' });
  log.info({ approvalId: ids.approvalId, jobId: ids.jobId }, 'approval requested');
  return ephemeral(text);
}

/**
 * BREAK_GLASS: enqueued at once, without the approval the rule asks; the audit event says it is
 * an emergency (reason, breakGlass group, what it overrode), and its review opens with a loud
 * announcement to the approvers.
 */
async function declareEmergency(
  deps: FrontDoorDeps,
  d: Dispatch,
  plan: RunbookPlan,
): Promise<EphemeralResponse> {
  const { parsed, decision } = d;
  const granted = decision.breakGlass!;
  const reason = parsed.emergency ?? '';
  const overrides = (plan.overrides ?? []).map((text) => text.text);
  const openedAt = Date.now();
  const emergency = {
    reason,
    breakGlass: granted.group,
    reviewers: granted.reviewers,
    dueAt: openedAt + granted.reviewWithinMs,
    overrides,
  };
  const { answer, jobId, created } = await enqueue(deps, d, plan, emergency);
  if (!created) return answer;
  const review = d.budget.bound(
    openReview(deps, {
      jobId,
      command: redactText(d.typed),
      ...(parsed.target !== undefined && { target: parsed.target }),
      actor: requestEvent(parsed).actor,
      reason,
      breakGlassGroup: granted.group,
      reviewers: granted.reviewers,
      overrides,
      openedAt,
      dueAt: emergency.dueAt,
    }),
    'the emergency announcement',
  );
  // The job is queued whatever happens here: say so, and who must be told by hand.
  const failed = await review.then(
    () => null,
    (error: unknown) => {
      d.log.error({ err: error, jobId }, 'emergency review not opened');
      return describeError(error);
    },
  );
  if (failed !== null)
    return ephemeral(
      md`:rotating_light: Emergency: queued ${code(jobId)} *without approval*, but its announcement and review could not be recorded (${failed}): tell ${granted.reviewers} yourself. ${code(`/ops cancel ${jobId}`)} stops it.`,
    );
  return ephemeral(
    md`:rotating_light: Emergency: queued ${code(jobId)} *without approval*: ${plan.summary}. Announced in ${deps.config.slack.alertChannel} to ${granted.reviewers}, who must review it by ${date(emergency.dueAt)}; ${code(`/ops cancel ${jobId}`)} stops it.`,
  );
}

interface Enqueued {
  answer: EphemeralResponse;
  jobId: string;
  /** False for a redelivered request (or one the audit trail refused): nothing new was queued. */
  created: boolean;
}

/** Enqueues the plan's job, audited first (with the emergency's facts when it is one). */
async function enqueue(
  deps: FrontDoorDeps,
  d: Dispatch,
  plan: RunbookPlan,
  emergency?: Record<string, unknown>,
): Promise<Enqueued> {
  const { parsed, decision, admit, budget, log } = d;
  const { requester } = parsed;
  const jobId = deriveJobId(plan.runbook, requestKey(requester));
  const event = requestEvent(parsed);
  // The job's input as planned (e.g. the old and new values of a record) is part of the record.
  const refused = await admit(
    {
      ...event,
      type: 'requested',
      jobId,
      detail: { rule: decision.ruleIndex, plan: plan.input, ...(emergency && { emergency }) },
    },
    false,
  );
  if (refused) return { answer: refused, jobId, created: false };
  const envelope: JobEnvelope = {
    meta: {
      jobId,
      command: redactText(d.typed),
      commandName: parsed.command,
      runbook: plan.runbook,
      summary: plan.summary.text,
      ...(parsed.target !== undefined && { target: parsed.target }),
      actor: event.actor,
      channel: event.channel,
      requestedAt: new Date().toISOString(),
      planned: plan.planned,
      correlationId: randomUUID(),
    },
    input: plan.input,
  };
  const { job, created } = await budget.bound(deps.jobs.enqueue(envelope), 'the queue');
  commandsReceived.inc({ command: parsed.module.name, result: created ? 'enqueued' : 'duplicate' });
  log.info({ jobId: job.id, created }, created ? 'job enqueued' : 'duplicate submission');
  const answer = created
    ? ephemeral(
        md`:inbox_tray: Queued ${code(jobId)}: ${plan.summary}. Progress goes to ${deps.config.slack.alertChannel}; ${code(`/ops cancel ${jobId}`)} stops it.`,
      )
    : ephemeral(
        md`:information_source: This request was already received as ${code(jobId)}; nothing new was queued.`,
      );
  return { answer, jobId, created };
}

/** An access rule asks for approval of something that acts at once: refused, the policy is wrong. */
function needsJobForApproval(command: string, group: string): EphemeralResponse {
  return ephemeral(
    md`:no_entry: Refused: the access rule for \`${command}\` asks for approval by *${group}*, but \`${command}\` acts at once and cannot wait for one. Ask a member of *${group}* to do it, or the policy owners to change the rule.`,
  );
}

/** What a redelivered or double-submitted request has in common with the first. */
function requestKey(requester: { teamId: string; triggerId: string }): string {
  return `${requester.teamId}:${requester.triggerId}`;
}
