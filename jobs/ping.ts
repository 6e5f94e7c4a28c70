import { z } from 'zod';
import { OpsdeckError, ErrorCode } from '../src/errors';
import { approval, defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { sleep } from '../src/util/sleep';
import { md } from '../src/slack/mrkdwn';

/**
 * The bot's self-test: exercises the engine end to end with harmless work. It writes a
 * throwaway Redis key (intent recorded first, removed by its cleanup), waits a few ticks while
 * reporting progress, and reads the key back. With `approveMidway` it asks for approval before
 * reading the key back, as a runbook asks before touching production.
 */
export default defineRunbook<PingInput, PingState>({
  name: 'ping',
  input: pingInput(),
  steps: [
    step('write-scratch-key', writeScratchKey, {
      describe: () => md`write a throwaway Redis key`,
      cleanup: {
        name: 'delete throwaway key',
        run: deleteScratchKey,
        describe: () => md`delete the throwaway key`,
      },
    }),
    step('wait', wait, {
      describe: (input) => md`wait ${input.ticks} ticks of ${input.tickMs / 1000} s`,
    }),
    approval('approve-midway', {
      when: (input) => input.approveMidway,
      describe: () => md`ask for approval to go on`,
      summary: () => md`continue the self-test: read the throwaway key back`,
      facts: () => undefined,
    }),
    step('read-back', readBack, {
      needs: ['scratchKey'],
      describe: () => md`read the throwaway key back`,
    }),
  ],
});

function pingInput() {
  return z.strictObject({
    ticks: z.number().int().min(1).max(60),
    tickMs: z.number().int().min(0).max(60_000),
    approveMidway: z.boolean().default(false),
  });
}
type PingInput = z.infer<ReturnType<typeof pingInput>>;

interface PingState {
  /** The throwaway key, recorded before it is written. */
  scratchKey: string;
}

type Ctx<K extends keyof PingState = never> = StepContext<PingInput, PingState, K>;

async function writeScratchKey(ctx: Ctx): Promise<void> {
  const key = `${ctx.services.redisPrefix}:ping:${ctx.meta.jobId}`;
  await ctx.remember({ scratchKey: key });
  // NX: a resumed step finds its own key and leaves it as it is.
  await ctx.services.redis.set(key, ctx.meta.correlationId, 'EX', 24 * 3600, 'NX');
  await ctx.say(md`wrote throwaway key \`${key}\``);
}

async function deleteScratchKey(ctx: Ctx): Promise<void> {
  const key = ctx.state.scratchKey;
  if (key !== undefined) await ctx.services.redis.del(key);
}

async function wait(ctx: Ctx): Promise<void> {
  const { ticks, tickMs } = ctx.input;
  for (let tick = 1; tick <= ticks; tick++) {
    await sleep(tickMs, ctx.signal);
    ctx.progress(tick, ticks, 'ticks');
  }
}

async function readBack(ctx: Ctx<'scratchKey'>): Promise<void> {
  const value = await ctx.services.redis.get(ctx.state.scratchKey);
  if (value !== ctx.meta.correlationId) {
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `throwaway key holds ${JSON.stringify(value)}, not this job's id`,
    );
  }
  await ctx.say(md`read the key back: Redis round trip ok`);
}
