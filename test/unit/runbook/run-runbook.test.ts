import pino from 'pino';
import { z } from 'zod';
import { parseConfig } from '../../../src/config/load-config';
import {
  CancelledError,
  ErrorCode,
  OpsdeckError,
  TransientError,
  UsageError,
} from '../../../src/errors';
import type { Checkpoint } from '../../../src/runbook/checkpoint';
import {
  approval,
  defineRunbook,
  step as defineStep,
  type StepContext,
  type StepDefinition,
  type StepFn,
  type StepOptions,
} from '../../../src/runbook/define-runbook';
import { md } from '../../../src/slack/mrkdwn';
import type { ApprovalGate, ApprovalPlan } from '../../../src/runbook/approval-gate';
import { plannedDigests } from '../../../src/runbook/plan-digest';
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

type Input = { n: number };
type State = Record<string, unknown>;

/**
 * A step as these tests write it: the plan's description is its name; a cleanup is a function
 * (named `undo <step>` unless `cleanupName` says otherwise).
 */
function step(
  name: string,
  run: StepFn<Input, State>,
  options: Omit<StepOptions<Input, State, undefined, never>, 'describe' | 'cleanup'> & {
    cleanup?: StepFn<Input, State>;
    cleanupName?: string;
  } = {},
): StepDefinition<Input, State, undefined> {
  const { cleanup, cleanupName, ...rest } = options;
  return defineStep<Input, State, undefined>(name, run, {
    describe: () => md`${name}`,
    ...rest,
    ...(cleanup && {
      cleanup: {
        name: cleanupName ?? `undo ${name}`,
        run: cleanup,
        describe: () => md`undo ${name}`,
      },
    }),
  });
}

function harness(
  steps: StepDefinition<Input, State, undefined>[],
  checkpoint?: Checkpoint,
): Harness {
  const events: RunbookEvent[] = [];
  const saved: Checkpoint[] = [];
  const log: string[] = [];
  const definition = defineRunbook<Input, State, undefined>({
    name: 'test',
    input: z.object({ n: z.number() }),
    steps,
  });
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
      step('long', async (ctx: StepContext<Input, State>) => {
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
        async (ctx: StepContext<Input, State>) => {
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
    const definition = defineRunbook<{ n: string }, State, undefined>({
      name: 't',
      input: z.object({ n: z.string() }),
      steps: [defineStep('a', recorder(log, 'a'), { describe: () => md`a` })],
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

  it('refuses, before any step and without a retry, a job whose runbook or input is not the one planned', async () => {
    const log: string[] = [];
    const steps = [step('a', recorder(log, 'a'), { cleanup: recorder(log, 'undo a') })];
    const planned = plannedDigests(
      defineRunbook<Input, State, undefined>({
        name: 'test',
        input: z.object({ n: z.number() }),
        steps,
      }),
      { n: 1 },
    );
    const approved = { ...meta, approvedBy: { id: 'U0BOB', name: 'bob' } };
    const changedInput = await harness(steps).run({
      envelope: { meta: { ...approved, planned }, input: { n: 2 } },
    });
    expect(changedInput.outcome).toBe('failed');
    expect(changedInput.error).toMatch(/^this job's input is not what bob approved/);
    const grown = harness([...steps, step('b', recorder(log, 'b'))]);
    const changedRunbook = await grown.run({
      envelope: { meta: { ...approved, planned }, input: { n: 1 } },
    });
    expect(changedRunbook.outcome).toBe('failed');
    expect(changedRunbook.error).toMatch(
      /^the test runbook on this worker is not the one in what bob approved/,
    );
    expect(grown.events.filter((e) => e.type === 'step-started')).toEqual([]);
    expect(log).toEqual([]);
    const same = await harness(steps).run({
      envelope: { meta: { ...approved, planned }, input: { n: 1 } },
    });
    expect(same.outcome).toBe('succeeded');
    expect(log).toEqual(['a', 'undo a']);
  });

  it('fails a step whose needed state no earlier step recorded (no retry)', async () => {
    const log: string[] = [];
    const h = harness([
      step('a', recorder(log, 'a')),
      defineStep<Input, { id: string }, undefined, 'id'>('b', recorder(log, 'b'), {
        needs: ['id'],
        describe: () => md`b`,
      }) as unknown as StepDefinition<Input, State, undefined>,
    ]);
    const result = await h.run();
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe(
      "step b needs id in the job's state, which no earlier step recorded (OPSDECK_STEP_STATE_MISSING)",
    );
    expect(log).toEqual(['a']);
    expect(h.events.filter((e) => e.type === 'step-started' && e.step === 'b')).toEqual([]);
  });

  it('an approval step asks the gate with the plan of the steps after it, described with the facts it found', async () => {
    const log: string[] = [];
    const asked: ApprovalPlan[] = [];
    const gate = (answer: 'yes' | Error): ApprovalGate => ({
      awaitApproval: async (_wait, plan) => {
        asked.push(plan);
        if (answer instanceof Error) throw answer;
        return 'U0BOB';
      },
    });
    const steps: StepDefinition<Input, State, { rows: number }>[] = [
      defineStep<Input, State, { rows: number }>('copy', async (ctx) => ctx.remember({ rows: 7 }), {
        describe: () => md`copy`,
        cleanup: {
          name: 'drop-copy',
          run: recorder(log, 'drop'),
          describe: () => md`drop the copy`,
        },
      }),
      approval<Input, State, { rows: number }>('approve', {
        describe: () => md`ask again`,
        summary: (_i, { rows }) => md`merge ${rows} rows`,
        facts: (ctx) => ({ rows: ctx.state.rows as number }),
      }),
      defineStep<Input, State, { rows: number }>('merge', recorder(log, 'merge'), {
        describe: (_i, { rows }) => md`insert ${rows} rows`,
        irreversible: true,
      }),
    ];
    const definition = defineRunbook<Input, State, { rows: number }>({
      name: 'test',
      input: z.object({ n: z.number() }),
      steps,
    });
    const result = await harness([]).run({ definition, approvals: gate('yes') });
    expect(result.outcome).toBe('succeeded');
    expect(asked[0]!.summary.text).toBe('merge 7 rows');
    expect(asked[0]!.steps.map((line) => [line.text.text, line.irreversible ?? false])).toEqual([
      ['insert 7 rows', true],
      ['whatever happens: drop the copy', false],
    ]);
    expect(log).toEqual(['merge', 'drop']);
    log.length = 0;
    const rejected = await harness([]).run({
      definition,
      approvals: gate(new OpsdeckError(ErrorCode.ApprovalRejected, 'rejected by bob')),
    });
    expect(rejected.outcome).toBe('failed');
    expect(log).toEqual(['drop']);
  });
});
