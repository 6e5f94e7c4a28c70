import { md, type Mrkdwn } from '../slack/mrkdwn';
import type { Runbook, StepDefinition } from './define-runbook';

/** One step of a plan as an approver reads it; irreversible ones are marked. */
export interface PlanStep {
  text: Mrkdwn;
  irreversible?: boolean;
  /** The runbook step it describes (the plan is made from the runbook: every step is in it). */
  step?: string;
  /** It describes that step's cleanup, which runs however the job ends. */
  cleanup?: boolean;
}

export interface PlanOptions {
  /** Only the steps after this one (a mid-run approval: what the approver lets happen next). */
  after?: string;
}

/**
 * The plan of `runbook` for `input`, in the words of its steps: every step that runs for this
 * input (`when`), in order, described with the planner's `facts` and marked where irreversible;
 * then every cleanup, in the order the engine runs them, as what happens whatever happens.
 */
export function planOf<I, S, F>(
  runbook: Runbook<I, S, F>,
  input: NoInfer<I>,
  facts: NoInfer<F>,
  options: PlanOptions = {},
): PlanStep[] {
  const active = activeSteps(runbook, input);
  let from = 0;
  if (options.after !== undefined) {
    from = active.findIndex((step) => step.name === options.after) + 1;
    if (from === 0)
      throw new Error(`runbook ${runbook.name} has no step ${options.after} for this input`);
  }
  const steps = active.slice(from).map((step): PlanStep => ({
    step: step.name,
    text: step.describe(input, facts),
    ...(isIrreversible(step, input) && { irreversible: true }),
  }));
  const cleanups = active
    .filter((step) => step.cleanup !== undefined)
    .reverse()
    .map((step): PlanStep => ({
      step: step.name,
      cleanup: true,
      text: md`whatever happens: ${step.cleanup!.describe(input, facts)}`,
    }));
  return [...steps, ...cleanups];
}

/** The steps that run for this input, in order. */
export function activeSteps<I, S, F>(
  runbook: Runbook<I, S, F>,
  input: NoInfer<I>,
): StepDefinition<I, S, F>[] {
  return runbook.steps.filter((step) => step.when?.(input) ?? true);
}

export function isIrreversible<I>(
  step: Pick<StepDefinition<I>, 'irreversible'>,
  input: I,
): boolean {
  const { irreversible } = step;
  return typeof irreversible === 'function' ? irreversible(input) : irreversible === true;
}

/** A plan's steps as numbered lines, irreversible ones marked (approval messages, dry runs). */
export function planLines(steps: readonly PlanStep[]): Mrkdwn[] {
  return steps.map((step, i) =>
    step.irreversible
      ? md`${i + 1}. :warning: *irreversible:* ${step.text}`
      : md`${i + 1}. ${step.text}`,
  );
}
