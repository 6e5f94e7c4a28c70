import { describeDenial } from '../approvals/access-policy';
import { UsageError, describeError } from '../errors';
import { planLines } from '../runbook/plan-of';
import { join, md, type Mrkdwn } from '../slack/mrkdwn';
import { AckBudget } from './ack-budget';
import { authorizeRequest } from './authorize-request';
import type { FrontDoorDeps, SlashCommandPayload } from './front-door-deps';
import { parseRequest } from './parse-request';
import { planRequest } from './plan-request';

const PREVIEW_BUDGET_MS = 2500;

export type Preview =
  { ok: true; text: Mrkdwn } | { ok: false; text: Mrkdwn; usageError?: UsageError };

/**
 * A form's Preview: the command the form stands for, parsed, authorized and planned exactly as
 * typed, but never dispatched: the plan generated from the runbook (or the command's own
 * `--dry-run` answer), or why it would be refused. Nothing is queued, approved or changed.
 */
export async function previewRequest(
  deps: FrontDoorDeps,
  payload: SlashCommandPayload,
): Promise<Preview> {
  const budget = new AckBudget(PREVIEW_BUDGET_MS);
  try {
    const parsed = parseRequest(deps, payload);
    if (!parsed) return { ok: false, text: md`opsdeck does not know ${payload.command}.` };
    const { decision } = await authorizeRequest(deps, parsed, budget);
    if (!decision.allowed) return { ok: false, text: md`:no_entry: ${describeDenial(decision)}` };
    const outcome = await planRequest(deps, parsed, budget);
    switch (outcome.kind) {
      case 'reply':
        return { ok: true, text: outcome.text };
      case 'action':
        return { ok: true, text: md`${outcome.summary}` };
      case 'runbook':
        return {
          ok: true,
          text: join(
            [
              md`*Plan*: ${outcome.summary}${decision.approval ? md` (needs approval by *${decision.approval.group}*)` : ''}`,
              ...(outcome.findings ?? []),
              ...planLines(outcome.steps),
            ],
            '\n',
          ),
        };
    }
  } catch (error) {
    if (error instanceof UsageError)
      return { ok: false, text: md`:warning: ${error.message}`, usageError: error };
    return { ok: false, text: md`:x: the preview failed (${describeError(error)})` };
  }
}
