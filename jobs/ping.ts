import { z } from 'zod';
import { OpsdeckError, ErrorCode } from '../src/errors';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { sleep } from '../src/util/sleep';
import { md } from '../src/slack/mrkdwn';

/**
 * The bot's self-test: exercises the engine end to end with harmless work. It writes a
 * throwaway Redis key (intent recorded first, removed by its cleanup), waits a few ticks while
 * reporting progress, and reads the key back. With `approveMidway` it asks for approval before
 * reading the key back, as a runbook asks before touching production.
 */
export const PingInput = z.strictObject({
  ticks: z.number().int().min(1).max(60),
  tickMs: z.number().int().min(0).max(60_000),
  approveMidway: z.boolean().default(false),
});
type PingInput = z.infer<typeof PingInput>;
type Ctx = StepContext<PingInput>;

function scratchKey(ctx: Ctx): string {
  return `${ctx.services.redisPrefix}:ping:${ctx.meta.jobId}`;
}

async function writeScratchKey(ctx: Ctx): Promise<void> {
  const key = scratchKey(ctx);
  await ctx.remember({ scratchKey: key });
  // NX: a resumed step finds its own key and leaves it as it is.
  await ctx.services.redis.set(key, ctx.meta.correlationId, 'EX', 24 * 3600, 'NX');
  await ctx.say(md`wrote throwaway key \`${key}\``);
}

async function deleteScratchKey(ctx: Ctx): Promise<void> {
  const key = ctx.state.scratchKey;
  if (typeof key === 'string') await ctx.services.redis.del(key);
}

async function wait(ctx: Ctx): Promise<void> {
  const { ticks, tickMs } = ctx.input;
  for (let tick = 1; tick <= ticks; tick++) {
    await sleep(tickMs, ctx.signal);
    ctx.progress(tick, ticks, 'ticks');
  }
}

async function approveMidway(ctx: Ctx): Promise<void> {
  await ctx.requestApproval({
    summary: md`continue the self-test: read the throwaway key back`,
    steps: [
      {
        text: md`read the throwaway key back`,
      },
      {
        text: md`delete it (cleanup)`,
      },
    ],
  });
}

async function readBack(ctx: Ctx): Promise<void> {
  const value = await ctx.services.redis.get(scratchKey(ctx));
  if (value !== ctx.meta.correlationId) {
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `throwaway key holds ${JSON.stringify(value)}, not this job's id`,
    );
  }
  await ctx.say(md`read the key back: Redis round trip ok`);
}

export default defineRunbook({
  name: 'ping',
  input: PingInput,
  steps: [
    step('write-scratch-key', writeScratchKey, {
      cleanup: deleteScratchKey,
      cleanupName: 'delete throwaway key',
    }),
    step('wait', wait),
    step('approve-midway', approveMidway, { when: (input) => input.approveMidway }),
    step('read-back', readBack),
  ],
});
