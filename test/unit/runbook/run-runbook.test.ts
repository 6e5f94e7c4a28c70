import pino from 'pino';
import { z } from 'zod';
import { parseConfig } from '../../../src/config/load-config';
import { CancelledError, TransientError, UsageError } from '../../../src/errors';
import type { Checkpoint } from '../../../src/runbook/checkpoint';
import {
  defineRunbook,
  step,
  type StepContext,
  type StepDefinition,
} from '../../../src/runbook/define-runbook';
import type { RunbookEvent } from '../../../src/runbook/runbook-events';
import { runRunbook, type RunRunbookOptions } from '../../../src/runbook/run-runbook';
import type { RunbookServices } from '../../../src/runbook/runbook-services';
import type { JobEnvelope, Person } from '../../../src/runbook/job-envelope';
import { jobMeta } from '../../fixtures/job-meta';
import { sleep } from '../../../src/util/sleep';

const config = parseConfig(
  'runbook:\n  retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }\n  progressIntervalMs: 50\n',
);
const meta = jobMeta({
  jobId: 'test-0123456789',
  command: '/test',
  runbook: 'test',
  summary: 'test',
});

interface Harness {
  events: RunbookEvent[];
  saved: Checkpoint[];
  log: string[];
  run(extra?: Partial<RunRunbookOptions>): ReturnType<typeof runRunbook>;
}

function harness(steps: StepDefinition<{ n: number }>[], checkpoint?: Checkpoint): Harness {
  const events: RunbookEvent[] = [];
  const saved: Checkpoint[] = [];
  const log: string[] = [];
  const definition = defineRunbook({ name: 'test', input: z.object({ n: z.number() }), steps });
  const envelope: JobEnvelope<unknown, Checkpoint> = {
    meta,
    input: { n: 1 },
    ...(checkpoint ? { checkpoint } : {}),
  };
  return {
    events,
    saved,
    log,
    run: (extra = {}) =>
      runRunbook({
        definition,
        envelope,
        signal: new AbortController().signal,
        persist: async (cp) => {
          saved.push(structuredClone(cp));
        },
        cancelRequestedBy: async () => null,
        observers: [{ onEvent: (_meta, event) => void events.push(event) }],
        services: {} as RunbookServices,
        logger: pino({ level: 'silent' }),
        settings: config.runbook,
        ...extra,
      }),
  };
}

const recorder = (log: string[], name: string) => async () => {
  log.push(name);
};

describe('runRunbook', () => {
  it('runs steps in order, checkpoints after each, and cleans up in reverse on success', async () => {
    const log: string[] = [];
    const h = harness([
      step('a', recorder(log, 'a'), { cleanup: recorder(log, 'undo a') }),
      step('b', recorder(log, 'b')),
      step('c', recorder(log, 'c'), { cleanup: recorder(log, 'undo c') }),
    ]);
    const result = await h.run();
    expect(result.outcome).toBe('succeeded');
    expect(log).toEqual(['a', 'b', 'c', 'undo c', 'undo a']);
    const completedSnapshots = h.saved.map((cp) => cp.completed.join(','));
    expect(completedSnapshots).toEqual(expect.arrayContaining(['a', 'a,b', 'a,b,c']));
    expect(result.checkpoint.phase).toBe('done');
    expect(h.events.at(-1)).toMatchObject({ type: 'finished', outcome: 'succeeded' });
  });

  it('resumes at the first unfinished step and does not repeat completed ones', async () => {
    const log: string[] = [];
    const steps = [
      step('a', recorder(log, 'a'), { cleanup: recorder(log, 'undo a') }),
      step('b', recorder(log, 'b')),
      step('c', recorder(log, 'c')),
    ];
    const crashed: Checkpoint = {
      startedAt: Date.now() - 1000,
      completed: ['a'],
      armed: ['a'],
      cleanedUp: [],
      state: { created: 'x' },
      phase: 'steps',
      runs: 1,
    };
    const result = await harness(steps, crashed).run();
    expect(log).toEqual(['b', 'c', 'undo a']);
    expect(result.checkpoint.runs).toBe(2);
    expect(result.checkpoint.state).toEqual({ created: 'x' });
  });

  it('after a crash during cleanup, runs only the cleanups not yet done', async () => {
    const log: string[] = [];
    const steps = [
      step('a', recorder(log, 'a'), { cleanup: recorder(log, 'undo a') }),
      step('b', recorder(log, 'b'), { cleanup: recorder(log, 'undo b') }),
    ];
    const crashed: Checkpoint = {
      startedAt: Date.now(),
      completed: ['a', 'b'],
      armed: ['a', 'b'],
      cleanedUp: ['b'],
      state: {},
      phase: 'cleanup',
      outcome: 'succeeded',
      runs: 1,
    };
    const result = await harness(steps, crashed).run();
    expect(log).toEqual(['undo a']);
    expect(result.outcome).toBe('succeeded');
  });

  it('cleans up the steps that started (even the failing one) when a step fails', async () => {
    const log: string[] = [];
    const h = harness([
      step('a', recorder(log, 'a'), { cleanup: recorder(log, 'undo a') }),
      step(
        'b',
        async () => {
          log.push('b');
          throw new Error('boom');
        },
        { cleanup: recorder(log, 'undo b') },
      ),
      step('c', recorder(log, 'c')),
    ]);
    const result = await h.run();
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe('boom');
    expect(log).toEqual(['a', 'b', 'undo b', 'undo a']);
    expect(h.events).toContainEqual(
      expect.objectContaining({ type: 'step-failed', step: 'b', error: 'boom' }),
    );
  });

  it('retries transient errors with backoff, up to the cap', async () => {
    let calls = 0;
    const h = harness([
      step('flaky', async () => {
        calls++;
        if (calls < 3) throw new TransientError('throttled');
      }),
    ]);
    const result = await h.run();
    expect(result.outcome).toBe('succeeded');
    expect(calls).toBe(3);
    const retries = h.events.filter((e) => e.type === 'step-retry');
    expect(retries).toHaveLength(2);
    for (const r of retries) if (r.type === 'step-retry') expect(r.delayMs).toBeLessThanOrEqual(20);
  });

  it('gives up on a transient error after the configured attempts', async () => {
    let calls = 0;
    const result = await harness([
      step('down', async () => {
        calls++;
        throw new TransientError('still down');
      }),
    ]).run();
    expect(result.outcome).toBe('failed');
    expect(calls).toBe(3);
  });

  it('does not retry input errors', async () => {
    let calls = 0;
    const result = await harness([
      step('bad', async () => {
        calls++;
        throw new UsageError('no such table', '/x');
      }),
    ]).run();
    expect(result.outcome).toBe('failed');
    expect(calls).toBe(1);
  });

  it('fails a step that exceeds its timeout, even if it ignores the signal', async () => {
    const result = await harness([
      step('slow', () => new Promise<void>((r) => setTimeout(r, 300)), { timeoutMs: 30 }),
    ]).run();
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/timed out after 30 ms \(OPSDECK_STEP_TIMEOUT\)/);
  });

  it('delivers cancellation to the running step and still runs cleanups', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    let sawAbort = false;
    const h = harness([
      step('a', recorder(log, 'a'), { cleanup: recorder(log, 'undo a') }),
      step('long', async (ctx: StepContext<{ n: number }>) => {
        setTimeout(() => controller.abort(new CancelledError('cancelled by alice')), 20);
        try {
          await sleep(5000, ctx.signal);
        } catch (error) {
          sawAbort = true;
          throw error;
        }
      }),
      step('never', recorder(log, 'never')),
    ]);
    const result = await h.run({ signal: controller.signal });
    expect(sawAbort).toBe(true);
    expect(result.outcome).toBe('cancelled');
    expect(log).toEqual(['a', 'undo a']);
  });

  it('a step stopped by a cancel sees a CancelledError, though BullMQ aborts with a bare string', async () => {
    const controller = new AbortController();
    let seen: unknown;
    const h = harness([
      step('long', async (ctx: StepContext<{ n: number }>) => {
        setTimeout(() => controller.abort('cancelled'), 20);
        try {
          await sleep(5000, ctx.signal);
        } catch (error) {
          seen = error;
          throw error;
        }
      }),
    ]);
    const result = await h.run({ signal: controller.signal });
    expect(seen).toBeInstanceOf(CancelledError);
    expect(result.outcome).toBe('cancelled');
  });

  it('with settleOnAbortMs, waits for the cancelled step to wind down before the cleanups', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const h = harness([
      step(
        'winds-down',
        async (ctx: StepContext<{ n: number }>) => {
          setTimeout(() => controller.abort(new CancelledError('cancelled by alice')), 20);
          await sleep(5000, ctx.signal).catch(() => undefined);
          await sleep(50); // stopping what it started
          log.push('stopped');
          throw new CancelledError('cancelled');
        },
        { cleanup: recorder(log, 'undo'), settleOnAbortMs: 2000 },
      ),
    ]);
    const result = await h.run({ signal: controller.signal });
    expect(result.outcome).toBe('cancelled');
    expect(log).toEqual(['stopped', 'undo']);
  });

  it('gives up on a step that does not wind down within settleOnAbortMs', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const h = harness([
      step(
        'stuck',
        async () => {
          setTimeout(() => controller.abort(new CancelledError('cancelled by alice')), 20);
          await sleep(1000);
          log.push('too late');
        },
        { cleanup: recorder(log, 'undo'), settleOnAbortMs: 100 },
      ),
    ]);
    const result = await h.run({ signal: controller.signal });
    expect(result.outcome).toBe('cancelled');
    expect(log).toEqual(['undo']);
  });

  it('stops before the next step when a cancel was requested', async () => {
    const log: string[] = [];
    let requested: Person | null = null;
    const h = harness([
      step('a', async () => {
        log.push('a');
        requested = { id: 'U2', name: 'bob' };
      }),
      step('b', recorder(log, 'b')),
    ]);
    const result = await h.run({ cancelRequestedBy: async () => requested });
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toMatch(/cancelled by bob/);
    expect(log).toEqual(['a']);
  });

  it('reports a failing cleanup loudly and fails the job', async () => {
    const h = harness([
      step('a', async () => undefined, {
        cleanup: async () => {
          throw new Error('cannot delete instance');
        },
        cleanupName: 'delete instance',
      }),
    ]);
    const result = await h.run();
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe('cleanup "delete instance" failed: cannot delete instance');
    expect(h.events).toContainEqual(
      expect.objectContaining({
        type: 'cleanup',
        ok: false,
        name: 'delete instance',
        error: 'cannot delete instance',
      }),
    );
  });

  it('persists remembered state before the step goes on', async () => {
    const h = harness([
      step('create', async (ctx) => {
        await ctx.remember({ instanceId: 'restore-1' });
        throw new Error('crash right after the call');
      }),
    ]);
    await h.run();
    expect(
      h.saved.some((cp) => cp.state.instanceId === 'restore-1' && cp.completed.length === 0),
    ).toBe(true);
  });

  it('rate-limits progress lines but always reports completion', async () => {
    const h = harness([
      step('count', async (ctx) => {
        for (let i = 1; i <= 1000; i++) ctx.progress(i, 1000, 'rows');
      }),
    ]);
    await h.run();
    const lines = h.events.filter((e) => e.type === 'progress');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines.at(-1)).toMatchObject({ line: { done: 1000, percent: 100 } });
  });

  it('fails without running any step when the input does not validate', async () => {
    const log: string[] = [];
    const definition = defineRunbook({
      name: 't',
      input: z.object({ n: z.string() }),
      steps: [step('a', recorder(log, 'a'))],
    });
    const result = await harness([]).run({ definition });
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/invalid job input/);
    expect(log).toEqual([]);
  });

  it('does nothing but report when the checkpoint says the job is done', async () => {
    const log: string[] = [];
    const done: Checkpoint = {
      startedAt: 0,
      completed: ['a'],
      armed: [],
      cleanedUp: [],
      state: {},
      phase: 'done',
      outcome: 'succeeded',
      runs: 1,
    };
    const result = await harness([step('a', recorder(log, 'a'))], done).run();
    expect(result.outcome).toBe('succeeded');
    expect(log).toEqual([]);
  });
});
