import type { Mrkdwn } from '../slack/mrkdwn';
import type { StepContext } from './define-runbook';

/**
 * A `say` for polling loops: at most one line per progress interval (runbook.progressIntervalMs),
 * counted from `lastAt` (-Infinity: the first call speaks).
 */
export function sayAtMostEveryInterval(
  ctx: StepContext<unknown>,
  lastAt: number,
): (text: Mrkdwn) => Promise<void> {
  return async (text) => {
    if (Date.now() - lastAt < ctx.services.config.runbook.progressIntervalMs) return;
    lastAt = Date.now();
    await ctx.say(text);
  };
}
