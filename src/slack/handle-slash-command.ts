import { randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import { authorize, describeDenial, userGroupsNamed, type AccessRequest } from '../access/policy';
import type { AuditEventInput } from '../audit/audit-event';
import type { AuditStore } from '../audit/audit-store';
import type { AwsClients } from '../aws/clients';
import type { DeployServices } from '../deploy/deploy-services';
import type { DatabaseAccess } from '../mysql/database-access';
import type { CommandRegistry } from '../command/command-registry';
import {
  commandName,
  type CommandContext,
  type FeedStatus,
  type Requester,
} from '../command/define-command';
import { parseCommand } from '../command/parse-command';
import { UsageError, describeError } from '../errors';
import { redactText } from '../log/redact';
import { commandsReceived } from '../metrics/metrics';
import type { JobEnvelope } from '../queue/job-envelope';
import { deriveJobId } from '../queue/job-id';
import { requestApproval, reserveApproval, type ApprovalDeps } from './approvals';
import { USER_GROUP_LOOKUP_MS, describeUnresolved } from './user-group-membership';

/** The ephemeral answer Slack shows the requester (the body of the ack). */
export interface EphemeralResponse {
  response_type: 'ephemeral';
  text: string;
  blocks?: KnownBlock[];
}

/** The fields of Slack's slash command payload that opsdeck reads. */
export interface SlashCommandPayload {
  command: string;
  text: string;
  user_id: string;
  user_name: string;
  channel_id: string;
  channel_name: string;
  team_id: string;
  trigger_id: string;
}

export interface FrontDoorDeps extends ApprovalDeps {
  commands: CommandRegistry;
  /** The audit trail, for commands that read it (`/ops audit`). */
  auditStore: AuditStore;
  /** AWS clients for planners that read what exists (the zone's records before `/phz add`). */
  aws: AwsClients;
  /** The configured databases, for planners that look at a table before planning. */
  databases: DatabaseAccess;
  /** `/deploy`'s locks and history (with a `deploy` config section). */
  deploys?: DeployServices;
  /** The status feeds and their state, for `/ops feeds`. */
  feeds: FeedStatus;
  /** Upper bound on the work before the ack; Slack gives up after 3 s. */
  ackBudgetMs?: number;
}

const DEFAULT_ACK_BUDGET_MS = 2500;
/** The longest the ack waits for an audit append (the rest of the budget is for the work). */
const ADMIT_TIMEOUT_MS = 1000;

/**
 * Parse, authorize, audit, plan and enqueue (or ask for approval), fast, and return what the ack
 * carries. Anything slow belongs to the worker. Never throws: every failure becomes a specific
 * ephemeral message.
 *
 * Access is checked against the real Slack user and channel before the planner runs; a refusal
 * is audited and explained (what is missing, who to ask). The `requested` event is written
 * before anything changes: if it cannot be, a changing request is refused (fail closed) while a
 * read-only one goes ahead.
 */
export async function handleSlashCommand(
  deps: FrontDoorDeps,
  payload: SlashCommandPayload,
): Promise<EphemeralResponse> {
  const budget = new AckBudget(deps.ackBudgetMs ?? DEFAULT_ACK_BUDGET_MS);
  const name = payload.command.replace(/^\//, '');
  const typed = `${payload.command} ${payload.text}`.trim();
  const log = deps.logger.child({ command: payload.command, user: payload.user_id });
  const module = deps.commands.find(name);
  if (!module) {
    commandsReceived.inc({ command: name, result: 'unknown' });
    return ephemeral(
      `:warning: opsdeck does not know \`${payload.command}\`. \`/ops help\` lists the commands.`,
    );
  }

  try {
    const { subcommand, input } = parseCommand(module, payload.text);
    const requester: Requester = {
      userId: payload.user_id,
      userName: payload.user_name,
      channelId: payload.channel_id,
      channelName: payload.channel_name,
      teamId: payload.team_id,
      triggerId: payload.trigger_id,
    };
    const command = commandName(module, subcommand);
    const target = subcommand.target?.(input, { requester, config: deps.config });
    const groups = await deps.userGroups.lookUp(
      requester.userId,
      userGroupsNamed(deps.config.access),
      Math.min(USER_GROUP_LOOKUP_MS, budget.remaining()),
    );
    const request: AccessRequest = {
      command,
      ...(target !== undefined && { target }),
      readOnly: subcommand.readOnly === true,
      userId: requester.userId,
      channelId: requester.channelId,
      channelName: requester.channelName,
      ...(groups.memberOf.length > 0 && { userGroupIds: groups.memberOf }),
    };
    const event = {
      actor: { id: requester.userId, name: requester.userName },
      channel: { id: requester.channelId, name: requester.channelName },
      command,
      ...(target !== undefined && { target }),
      args: input,
    };
    const admit = async (
      audited: AuditEventInput,
      readOnly: boolean,
    ): Promise<EphemeralResponse | null> => {
      const admission = await deps.audit.admit(audited, {
        readOnly,
        timeoutMs: Math.min(ADMIT_TIMEOUT_MS, budget.remaining()),
      });
      if (admission.admitted) return null;
      commandsReceived.inc({ command: name, result: 'audit-unavailable' });
      log.warn({ command }, 'changing request refused: the audit trail cannot be written');
      deps.audit
        .recordJobEvent({ ...event, type: 'denied', detail: { reason: 'audit-unavailable' } })
        .catch((error: unknown) => log.error({ err: error }, 'refusal not spooled'));
      return ephemeral(`:lock: ${admission.message}`);
    };

    const decision = authorize(deps.config.access, request);
    if (!decision.allowed) {
      commandsReceived.inc({ command: name, result: 'denied' });
      // Only a group membership can be missing for want of an answer from Slack.
      const unresolved = decision.reason === 'not-in-group' ? groups.unresolved : [];
      const detail = {
        reason: decision.reason,
        message: decision.message,
        ...(unresolved.length > 0 && { unresolvedUserGroups: unresolved }),
      };
      await admit({ ...event, type: 'denied', detail }, true);
      log.info({ reason: decision.reason, unresolved }, 'request denied by the access policy');
      const why = describeUnresolved({ memberOf: [], unresolved });
      return ephemeral(`:no_entry: ${describeDenial(decision)}${why && ` ${why}`}`);
    }

    const ctx: CommandContext = {
      requester,
      config: deps.config,
      jobs: deps.jobs,
      audit: deps.auditStore,
      commands: deps.commands.all,
      aws: deps.aws,
      databases: deps.databases,
      ...(deps.deploys && { deploys: deps.deploys }),
      feeds: deps.feeds,
    };
    const outcome = await budget.bound(Promise.resolve(subcommand.plan(input, ctx)), 'the planner');
    const rule = { rule: decision.ruleIndex };
    switch (outcome.kind) {
      case 'reply': {
        // A reply changes nothing (planners never act): audited, but never refused.
        await admit({ ...event, type: 'requested', detail: rule }, true);
        commandsReceived.inc({ command: name, result: 'reply' });
        return outcome.blocks ? ephemeral(outcome.text, outcome.blocks) : ephemeral(outcome.text);
      }
      case 'action': {
        if (decision.approval) return needsJobForApproval(command, decision.approval.group);
        const refused = await admit({ ...event, type: 'requested', detail: rule }, false);
        if (refused) return refused;
        const answer = await budget.bound(outcome.run(), outcome.summary);
        commandsReceived.inc({ command: name, result: 'action' });
        log.info({ action: outcome.summary }, 'action done');
        return answer.blocks ? ephemeral(answer.text, answer.blocks) : ephemeral(answer.text);
      }
      case 'runbook':
        break;
    }
    const plan = outcome;
    const requestedAt = new Date().toISOString();
    // What a redelivered or double-submitted request has in common with the first.
    const requestKey = `${requester.teamId}:${requester.triggerId}`;
    if (decision.approval) {
      const ids = reserveApproval(plan.runbook, requestKey);
      const refused = await admit(
        { ...event, type: 'requested', jobId: ids.jobId, detail: { ...rule, approval: true } },
        false,
      );
      if (refused) return refused;
      const text = await budget.bound(
        requestApproval(deps, ids, {
          request,
          requester: event.actor,
          requirement: decision.approval,
          job: {
            summary: plan.summary,
            steps: plan.steps ?? [],
            ...(plan.findings && { findings: plan.findings }),
            runbook: plan.runbook,
            input: plan.input,
            typed: redactText(typed),
            requestedAt,
          },
        }),
        'the approval request',
      );
      commandsReceived.inc({ command: name, result: 'approval-requested' });
      log.info({ approvalId: ids.approvalId, jobId: ids.jobId }, 'approval requested');
      return ephemeral(text);
    }

    const jobId = deriveJobId(plan.runbook, requestKey);
    // The job's input as planned (e.g. the old and new values of a record) is part of the record.
    const refused = await admit(
      { ...event, type: 'requested', jobId, detail: { ...rule, plan: plan.input } },
      false,
    );
    if (refused) return refused;
    const envelope: JobEnvelope = {
      meta: {
        jobId,
        command: redactText(typed),
        commandName: command,
        runbook: plan.runbook,
        summary: plan.summary,
        ...(target !== undefined && { target }),
        actor: event.actor,
        channel: event.channel,
        requestedAt,
        correlationId: randomUUID(),
      },
      input: plan.input,
    };
    const { job, created } = await budget.bound(deps.jobs.enqueue(envelope), 'the queue');
    commandsReceived.inc({ command: name, result: created ? 'enqueued' : 'duplicate' });
    log.info({ jobId: job.id, created }, created ? 'job enqueued' : 'duplicate submission');
    return created
      ? ephemeral(
          `:inbox_tray: Queued \`${job.id}\`: ${plan.summary}. Progress goes to ${deps.config.slack.alertChannel}; \`/ops cancel ${job.id}\` stops it.`,
        )
      : ephemeral(
          `:information_source: This request was already received as \`${job.id}\`; nothing new was queued.`,
        );
  } catch (error) {
    if (error instanceof UsageError) {
      commandsReceived.inc({ command: name, result: 'usage-error' });
      return ephemeral(`:warning: ${error.message}\nUsage:\n\`\`\`\n${error.usage}\n\`\`\``);
    }
    const reference = randomUUID().slice(0, 8);
    commandsReceived.inc({ command: name, result: 'error' });
    log.error({ err: error, reference }, 'slash command failed');
    return ephemeral(
      `:x: \`${payload.command}\` could not be handled (${describeError(error)}). Nothing was started. Reference \`${reference}\`; trying again is safe.`,
    );
  }
}

/** An access rule asks for approval of something that acts at once: refused, the policy is wrong. */
function needsJobForApproval(command: string, group: string): EphemeralResponse {
  return ephemeral(
    `:no_entry: Refused: the access rule for \`${command}\` asks for approval by *${group}*, but \`${command}\` acts at once and cannot wait for one. Ask a member of *${group}* to do it, or the policy owners to change the rule.`,
  );
}

function ephemeral(text: string, blocks?: KnownBlock[]): EphemeralResponse {
  const safe = redactText(text);
  return blocks
    ? { response_type: 'ephemeral', text: safe, blocks }
    : { response_type: 'ephemeral', text: safe };
}

/** The time left before Slack's 3 s run out; each step of the ack is bounded by what is left. */
class AckBudget {
  private readonly deadline: number;

  constructor(budgetMs: number) {
    this.deadline = performance.now() + budgetMs;
  }

  remaining(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** Rejects when `work` outlasts the budget, so the user hears something within Slack's 3 s. */
  async bound<T>(work: Promise<T>, what: string): Promise<T> {
    const budgetMs = Math.round(this.remaining());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`no answer from ${what} within the ${budgetMs} ms left to answer Slack`),
          ),
        budgetMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
