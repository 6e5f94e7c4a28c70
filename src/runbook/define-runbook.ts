import type { z } from 'zod';
import type { Mrkdwn } from '../slack/mrkdwn';
import type { Logger } from '../log/logger';
import type { JobMeta } from './job-envelope';
import type { RunbookServices } from './runbook-services';

/**
 * A runbook is an ordered list of named steps. The engine (run-runbook.ts) checkpoints after
 * every step, so a retried or resumed job starts at the first unfinished step, and runs the
 * cleanups of the steps that started, in reverse order, however the job ends.
 *
 * Each step also says what it does, for the plan an approver approves (`describe`, marked
 * `irreversible` where it is, its cleanup described as what happens whatever happens): the plan
 * is made from the runbook that will run (plan-of.ts), never written beside it.
 *
 * Types: `I` is the job's input (its zod schema's output), `S` the runbook's durable state (every
 * field a step may `remember`; a step sees them as possibly missing, except the fields it
 * `needs`, which the engine checks are there before it runs), `F` the facts the planner looked
 * up for the plan (a restore window, hosts, preflight findings).
 */

/** The fields `K` of the state `S`, as a step that needs them sees them: there. */
export type Recorded<S, K extends keyof S> = { readonly [P in K]: Exclude<S[P], undefined> };

export interface StepContext<I = unknown, S = object, K extends keyof S = never> {
  input: I;
  meta: JobMeta;
  /**
   * The runbook's own durable state: whatever a step stores here (with `remember`) is saved
   * with the checkpoint and is there again after a crash. The fields the step `needs` are there
   * (the engine checked); any other may be missing.
   */
  state: Readonly<Partial<S>> & Recorded<S, K>;
  /** Aborted when the job is cancelled or the step times out. Pass it to every slow call. */
  signal: AbortSignal;
  log: Logger;
  services: RunbookServices;
  /**
   * Records durable state before a side effect: the identifier of the thing about to be created
   * is saved first, so a resumed step or a cleanup can find it even if the process dies the
   * moment after the call.
   */
  remember(values: Partial<S>): Promise<void>;
  /** Reports progress; lines reach Slack at a bounded rate, with percent and ETA. */
  progress(done: number, total: number, unit?: string): void;
  /** A line in the job's thread, built by the rendering layer (`md`, src/slack/mrkdwn.ts). */
  say(text: Mrkdwn): Promise<void>;
  /**
   * Writes a fact to the audit trail (`step-recorded`, `what` and `detail`), for the incident
   * review: coordinates read, a state found before changing it. Nothing goes to Slack: `say` it
   * too if the thread should show it. Resolves once the audit writer has taken it.
   */
  record(what: string, detail: Record<string, unknown>): Promise<void>;
}

export type StepFn<I, S = object, K extends keyof S = never> = (
  ctx: StepContext<I, S, K>,
) => Promise<void>;

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** What a step (or its cleanup) does, in one line of the plan. */
export type Describe<I, F> = (input: I, facts: F) => Mrkdwn;

export interface Cleanup<I, S, F> {
  /** The cleanup's name in the thread and the audit trail. */
  name: string;
  /** Undoes the step's side effects; must be safe to run more than once, with any state. */
  run: StepFn<I, S>;
  /** What it does, shown in the plan as what happens whatever happens. */
  describe: Describe<I, F>;
}

export interface StepOptions<I, S, F, K extends keyof S> {
  /** What the step does, for the plan (front door, dry run, a mid-run approval). */
  describe: Describe<I, F>;
  /** Fields of the state an earlier step recorded that this one cannot go on without. */
  needs?: readonly K[];
  /** What it changes cannot be undone (marked in the plan, named in the Approve dialog). */
  irreversible?: boolean | ((input: I) => boolean);
  cleanup?: Cleanup<I, S, F>;
  timeoutMs?: number;
  /**
   * On a cancel or timeout, how long the engine waits for the step to wind down what it started
   * (stop child processes, report what ran) before giving up on it and running the cleanups.
   * Default 0: the step is abandoned at once.
   */
  settleOnAbortMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Runs the step only for inputs where this is true (decided once the input is validated). */
  when?: (input: I) => boolean;
}

export interface ApprovalOptions<I, S, F, K extends keyof S> {
  /** What asking does, for the plan made before the job runs. */
  describe: Describe<I, F>;
  /** One line above the plan: what will happen once approved. */
  summary: (input: I, facts: F) => Mrkdwn;
  /** The facts the plan of the steps that follow is made with, from what the job found. */
  facts: (ctx: StepContext<I, S, K>) => F;
  needs?: readonly K[];
  when?: (input: I) => boolean;
}

/** A step as the engine and the planner see it (made by `step` or `approval`). */
export interface StepDefinition<I = unknown, S = object, F = unknown> {
  name: string;
  run: StepFn<I, S>;
  describe: Describe<I, F>;
  needs: readonly string[];
  irreversible?: boolean | ((input: I) => boolean);
  cleanup?: Cleanup<I, S, F>;
  timeoutMs?: number;
  settleOnAbortMs?: number;
  retry?: Partial<RetryPolicy>;
  when?: (input: I) => boolean;
  /** Set for a step that asks a second person to approve the steps after it (`approval`). */
  approval?: {
    summary: (input: I, facts: F) => Mrkdwn;
    facts: (ctx: StepContext<I, S>) => F;
  };
}

/**
 * A step: `run` does the work; `options.describe` says what it does, for the plan. With `needs`,
 * `run` may declare its context with those state fields present (`StepContext<I, S, 'a' | 'b'>`):
 * TypeScript checks the list covers what `run` reads, the engine that they are there.
 */
export function step<I, S, F, K extends keyof S & string = never>(
  name: string,
  run: StepFn<I, S, NoInfer<K>>,
  options: StepOptions<I, S, F, K>,
): StepDefinition<I, S, F> {
  const { needs = [], ...rest } = options;
  // The engine checks `needs` before `run` is called, which is what the narrower type promises.
  return { name, run: run as StepFn<I, S>, needs, ...rest };
}

/**
 * A step that asks a second person (under the access rules) to approve what follows: the plan
 * they see is the steps after it and every cleanup, described with `facts(ctx)` (what the job
 * found so far). A rejection or expiry fails it (not retried); the wait does not count against
 * its timeout; a resumed step waits for the same approval.
 */
export function approval<I, S, F, K extends keyof S & string = never>(
  name: string,
  options: ApprovalOptions<I, S, F, K>,
): StepDefinition<I, S, F> {
  const { needs = [], summary, facts, describe, when } = options;
  return {
    name,
    // The engine asks for the approval instead of running a function.
    run: async () => undefined,
    describe,
    needs,
    ...(when && { when }),
    approval: { summary, facts: facts as (ctx: StepContext<I, S>) => F },
  };
}

export interface Runbook<I = unknown, S = object, F = unknown> {
  name: string;
  /** Validates the job's input again in the worker: the queue is not trusted blindly. */
  input: z.ZodType<I>;
  /**
   * Bumped by hand when what a step does changes in a way its name, order, marks and cleanup do
   * not show: part of the runbook's digest (plan-digest.ts), so jobs approved before it are not
   * run by it.
   */
  revision: number;
  steps: readonly StepDefinition<I, S, F>[];
}

/** Any runbook, as the registry and the worker hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds runbooks of every input, state and facts type
export type AnyRunbook = Runbook<any, any, any>;

export interface RunbookSpec<I, S, F> {
  name: string;
  input: z.ZodType<I>;
  revision?: number;
  /** In order; a group of steps (such as the temporary-instance steps) is one element. */
  steps: readonly (StepDefinition<I, S, F> | readonly StepDefinition<I, S, F>[])[];
}

/**
 * A runbook, typed by its input `I`, state `S` and plan facts `F` (given explicitly: the steps'
 * `describe` and `needs` are checked against them).
 */
export function defineRunbook<I, S, F = undefined>(spec: RunbookSpec<I, S, F>): Runbook<I, S, F> {
  const steps = spec.steps.flat() as StepDefinition<I, S, F>[];
  const names = new Set<string>();
  for (const { name, describe } of steps) {
    if (names.has(name)) throw new Error(`runbook ${spec.name}: duplicate step name ${name}`);
    if (typeof describe !== 'function')
      throw new Error(`runbook ${spec.name}: step ${name} does not describe itself for the plan`);
    names.add(name);
  }
  return { name: spec.name, input: spec.input, revision: spec.revision ?? 1, steps };
}
