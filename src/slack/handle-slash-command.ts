import { randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { CommandRegistry } from '../command/command-registry';
import type { CommandContext, Requester, RunbookPlan } from '../command/define-command';
import { parseCommand } from '../command/parse-command';
import type { OpsdeckConfig } from '../config/schema';
import { UsageError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import { redactText } from '../log/redact';
import { commandsReceived } from '../metrics/metrics';
import type { JobEnvelope } from '../queue/job-envelope';
import { deriveJobId } from '../queue/job-id';
import type { JobStore } from '../queue/job-store';

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

export interface FrontDoorDeps {
  commands: CommandRegistry;
  jobs: JobStore;
  config: OpsdeckConfig;
  logger: Logger;
  /** Upper bound on the work before the ack; Slack gives up after 3 s. */
  ackBudgetMs?: number;
}

const DEFAULT_ACK_BUDGET_MS = 2500;

/**
 * Parse, plan and enqueue, fast, and return what the ack carries. Anything slow belongs to
 * the worker. Never throws: every failure becomes a specific ephemeral message.
 */
export async function handleSlashCommand(
  deps: FrontDoorDeps,
  payload: SlashCommandPayload,
): Promise<EphemeralResponse> {
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
    const ctx: CommandContext = {
      requester,
      config: deps.config,
      jobs: deps.jobs,
      commands: deps.commands.all,
    };
    const outcome = await withinBudget(
      Promise.resolve(subcommand.plan(input, ctx)),
      deps.ackBudgetMs,
    );
    if (outcome.kind === 'reply') {
      commandsReceived.inc({ command: name, result: 'reply' });
      return outcome.blocks ? ephemeral(outcome.text, outcome.blocks) : ephemeral(outcome.text);
    }
    const envelope = buildEnvelope(outcome, requester, typed);
    const { job, created } = await withinBudget(deps.jobs.enqueue(envelope), deps.ackBudgetMs);
    commandsReceived.inc({ command: name, result: created ? 'enqueued' : 'duplicate' });
    log.info({ jobId: job.id, created }, created ? 'job enqueued' : 'duplicate submission');
    return created
      ? ephemeral(
          `:inbox_tray: Queued \`${job.id}\`: ${outcome.summary}. Progress goes to ${deps.config.slack.alertChannel}; \`/ops cancel ${job.id}\` stops it.`,
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

function buildEnvelope(plan: RunbookPlan, requester: Requester, typed: string): JobEnvelope {
  const jobId = deriveJobId(plan.runbook, `${requester.teamId}:${requester.triggerId}`);
  return {
    meta: {
      jobId,
      command: redactText(typed),
      runbook: plan.runbook,
      summary: plan.summary,
      ...(plan.target ? { target: plan.target } : {}),
      actor: { id: requester.userId, name: requester.userName },
      channel: { id: requester.channelId, name: requester.channelName },
      requestedAt: new Date().toISOString(),
      correlationId: randomUUID(),
    },
    input: plan.input,
  };
}

function ephemeral(text: string, blocks?: KnownBlock[]): EphemeralResponse {
  const safe = redactText(text);
  return blocks
    ? { response_type: 'ephemeral', text: safe, blocks }
    : { response_type: 'ephemeral', text: safe };
}

/** Rejects when `work` outlasts the ack budget, so the user hears something within Slack's 3 s. */
async function withinBudget<T>(work: Promise<T>, budgetMs = DEFAULT_ACK_BUDGET_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from the queue within ${budgetMs} ms`)),
      budgetMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
