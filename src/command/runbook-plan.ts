import type { Runbook } from '../runbook/define-runbook';
import { plannedDigests, type PlannedDigests } from '../runbook/plan-digest';
import { planOf, type PlanStep } from '../runbook/plan-of';
import type { Mrkdwn } from '../slack/mrkdwn';

/** Only `runbookPlan` makes a RunbookPlan: a command cannot write its steps by hand. */
declare const madeFromTheRunbook: unique symbol;

/**
 * A runbook to enqueue: which one, with what input, a one-line description, and its plan, made
 * from the runbook itself. Planning changes nothing: the front door enqueues (at once, or once an
 * approval is given).
 */
export interface RunbookPlan {
  kind: 'runbook';
  runbook: string;
  input: Record<string, unknown>;
  summary: Mrkdwn;
  /** Every step that will run, irreversible ones marked, then the cleanups (planOf). */
  steps: PlanStep[];
  /** What the planner checked and found, shown above the steps in the approval message. */
  findings?: Mrkdwn[];
  /** Checks an emergency went past (a promotion gate), said in its announcement and audit. */
  overrides?: Mrkdwn[];
  /** The runbook and input this plan is of: the worker runs the job only if they still match. */
  planned: PlannedDigests;
  readonly [madeFromTheRunbook]: true;
}

export interface PlanText {
  summary: Mrkdwn;
  findings?: Mrkdwn[];
  overrides?: Mrkdwn[];
}

/**
 * The plan of running `runbook` with `input`: its steps described with the `facts` the planner
 * looked up (the restore window, the hosts, the preflight), and the digests the worker checks.
 */
export function runbookPlan<I extends Record<string, unknown>, S, F>(
  runbook: Runbook<I, S, F>,
  input: I,
  facts: F,
  text: PlanText,
): RunbookPlan {
  const plan: Omit<RunbookPlan, typeof madeFromTheRunbook> = {
    kind: 'runbook',
    runbook: runbook.name,
    input,
    summary: text.summary,
    steps: planOf(runbook, input, facts),
    ...(text.findings && { findings: text.findings }),
    ...(text.overrides && text.overrides.length > 0 && { overrides: text.overrides }),
    planned: plannedDigests(runbook, input),
  };
  return plan as RunbookPlan;
}
