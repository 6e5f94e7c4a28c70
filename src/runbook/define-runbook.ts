import type { z } from 'zod';
import type { ApprovalPlan } from './approval-gate';
import type { Mrkdwn } from '../slack/mrkdwn';
import type { Logger } from '../log/logger';
import type { JobMeta } from './job-envelope';
import type { RunbookServices } from './runbook-services';

/**
 * A runbook is an ordered list of named steps. The engine (run-runbook.ts) checkpoints after
 * every step, so a retried or resumed job starts at the first unfinished step, and runs the
 * cleanups of the steps that started, in reverse order, however the job ends.
 */

export interface StepContext<I = unknown> {
  input: I;
  meta: JobMeta;
  /**
   * The runbook's own durable state: whatever a step stores here (with `remember`) is saved
   * with the checkpoint and is there again after a crash.
   */
  state: Readonly<Record<string, unknown>>;
  /** Aborted when the job is cancelled or the step times out. Pass it to every slow call. */
  signal: AbortSignal;
  log: Logger;
  services: RunbookServices;
  /**
   * Records durable state before a side effect: the identifier of the thing about to be created
   * is saved first, so a resumed step or a cleanup can find it even if the process dies the
   * moment after the call.
   */
  remember(values: Record<string, unknown>): Promise<void>;
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
  /**
   * Asks for approval under the access rules (see mid-run-approval.ts): posts the plan with
   * Approve/Reject buttons, waits for the decision and resolves with the approver's Slack id;
   * a rejection or expiry fails the step (not retried). The wait does not count against the
   * step's timeout. One approval per step; a resumed step waits for the same one.
   */
  requestApproval(plan: ApprovalPlan): Promise<string>;
}

export type StepFn<I> = (ctx: StepContext<I>) => Promise<void>;

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface StepOptions<I> {
  /** Undoes the step's side effects; must be safe to run more than once. */
  cleanup?: StepFn<I>;
  /** Name shown for the cleanup (default: `undo <step>`). */
  cleanupName?: string;
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

export interface StepDefinition<I = unknown> extends StepOptions<I> {
  name: string;
  run: StepFn<I>;
}

export interface RunbookDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  /** Validates the job's input again in the worker: the queue is not trusted blindly. */
  input: S;
  steps: readonly StepDefinition<z.infer<S>>[];
}

export function step<I>(
  name: string,
  run: StepFn<I>,
  options: StepOptions<I> = {},
): StepDefinition<I> {
  return { name, run, ...options };
}

export function defineRunbook<S extends z.ZodType>(
  definition: RunbookDefinition<S>,
): RunbookDefinition {
  const names = new Set<string>();
  for (const { name } of definition.steps) {
    if (names.has(name)) throw new Error(`runbook ${definition.name}: duplicate step name ${name}`);
    names.add(name);
  }
  return definition as unknown as RunbookDefinition;
}
