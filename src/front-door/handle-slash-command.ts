import { randomUUID } from 'node:crypto';
import { describeDenial } from '../approvals/access-policy';
import { UsageError, describeError } from '../errors';
import { commandsReceived } from '../metrics/metrics';
import { describeUnresolved } from '../slack/user-group-membership';
import { AckBudget } from './ack-budget';
import { admitter, requestEvent } from './admit-request';
import { authorizeRequest } from './authorize-request';
import { dispatchRequest } from './dispatch-request';
import {
  ephemeral,
  type EphemeralResponse,
  type FrontDoorDeps,
  type SlashCommandPayload,
} from './front-door-deps';
import { parseRequest } from './parse-request';
import { planRequest } from './plan-request';
import { code, md } from '../slack/mrkdwn';

export type { EphemeralResponse, FrontDoorDeps, SlashCommandPayload } from './front-door-deps';

const DEFAULT_ACK_BUDGET_MS = 2500;

/**
 * A slash command, in five stages, fast: parse the text, authorize the real Slack user and
 * channel, plan (the planner reads, never changes), admit (the audit event is written before
 * anything changes: if it cannot be, a changing request is refused, fail closed), dispatch
 * (answer, act, enqueue or ask for approval). Anything slow belongs to the worker. Never throws:
 * every failure becomes a specific ephemeral message, the ack's body.
 */
export async function handleSlashCommand(
  deps: FrontDoorDeps,
  payload: SlashCommandPayload,
): Promise<EphemeralResponse> {
  return (await handleCommand(deps, payload)).answer;
}

/** What handleSlashCommand answers, and the usage error behind it, if that is what it was. */
export interface CommandAnswer {
  answer: EphemeralResponse;
  /** Thrown by the parser or the planner: nothing was started or written (a form shows it on its fields). */
  usageError?: UsageError;
}

export async function handleCommand(
  deps: FrontDoorDeps,
  payload: SlashCommandPayload,
): Promise<CommandAnswer> {
  const answer = (response: EphemeralResponse): CommandAnswer => ({ answer: response });
  const budget = new AckBudget(deps.ackBudgetMs ?? DEFAULT_ACK_BUDGET_MS);
  const metric = payload.command.replace(/^\//, '');
  const typed = `${payload.command} ${payload.text}`.trim();
  const log = deps.logger.child({ command: payload.command, user: payload.user_id });
  try {
    const parsed = parseRequest(deps, payload);
    if (!parsed) {
      commandsReceived.inc({ command: metric, result: 'unknown' });
      return answer(
        ephemeral(
          md`:warning: opsdeck does not know \`${payload.command}\`. \`/ops help\` lists the commands.`,
        ),
      );
    }
    const { request, decision, groups, unknownJob } = await authorizeRequest(deps, parsed, budget);
    if (unknownJob !== undefined) {
      // Nothing to authorize against, and nothing to act on or show.
      commandsReceived.inc({ command: metric, result: 'reply' });
      return answer(
        ephemeral(
          md`No job ${code(unknownJob)} is known (not in the queue, nothing in the audit trail). ${code('/ops jobs')} lists running and recent jobs.`,
        ),
      );
    }
    const admit = admitter(deps, parsed, budget, log);
    if (!decision.allowed) {
      commandsReceived.inc({ command: metric, result: 'denied' });
      // Only a group membership can be missing for want of an answer from Slack.
      const unresolved = decision.reason === 'not-in-group' ? groups.unresolved : [];
      const detail = {
        reason: decision.reason,
        message: decision.message,
        ...(unresolved.length > 0 && { unresolvedUserGroups: unresolved }),
      };
      await admit({ ...requestEvent(parsed), type: 'denied', detail }, true);
      log.info({ reason: decision.reason, unresolved }, 'request denied by the access policy');
      const why = describeUnresolved({ memberOf: [], unresolved });
      return answer(ephemeral(md`:no_entry: ${describeDenial(decision)}${why && ` ${why}`}`));
    }
    const outcome = await planRequest(deps, parsed, budget);
    return answer(
      await dispatchRequest(deps, {
        parsed,
        request,
        decision,
        outcome,
        admit,
        budget,
        typed,
        log,
      }),
    );
  } catch (error) {
    if (error instanceof UsageError) {
      commandsReceived.inc({ command: metric, result: 'usage-error' });
      return {
        answer: ephemeral(md`:warning: ${error.message}\nUsage:\n\`\`\`\n${error.usage}\n\`\`\``),
        usageError: error,
      };
    }
    const reference = randomUUID().slice(0, 8);
    commandsReceived.inc({ command: metric, result: 'error' });
    log.error({ err: error, reference }, 'slash command failed');
    return answer(
      ephemeral(
        md`:x: \`${payload.command}\` could not be handled (${describeError(error)}). Nothing was started. Reference \`${reference}\`; trying again is safe.`,
      ),
    );
  }
}
