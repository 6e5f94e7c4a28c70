import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/audit-event';
import { ErrorCode, OpsdeckError } from '../errors';
import type { AnyRunbook, Runbook } from './define-runbook';
import type { JobMeta } from './job-envelope';
import { isIrreversible } from './plan-of';

/**
 * What a plan was made from, so a worker runs only what was approved. Two SHA-256 digests, hex:
 *
 * - the runbook's, for the job's input: its name and `revision`, and per step, in order, its
 *   name, whether it runs for this input, whether it is irreversible for it, the state it needs,
 *   whether it asks for an approval, and its cleanup's name. That is the plan's shape: the steps
 *   an approver saw, the marks, what is undone whatever happens. The wording of the descriptions
 *   (which depends on the planner's facts) and the code inside the steps are not in it: a change
 *   of what a step does under the same name bumps the runbook's `revision`.
 * - the input's: its canonical JSON (keys sorted), as the job carries it.
 *
 * The front door stores both with the approval (and the job); the engine compares them with the
 * runbook and input it is about to run, before the first step (and again when a job resumes). An
 * approved job without them is refused too (fail closed).
 */
export interface PlannedDigests {
  runbook: string;
  input: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function runbookDigest<I, S, F>(runbook: Runbook<I, S, F>, input: NoInfer<I>): string {
  return sha256(
    canonicalJson({
      runbook: runbook.name,
      revision: runbook.revision,
      steps: runbook.steps.map((step) => ({
        name: step.name,
        runs: step.when?.(input) ?? true,
        irreversible: isIrreversible(step, input),
        needs: [...step.needs].sort(),
        approval: step.approval !== undefined,
        cleanup: step.cleanup?.name ?? null,
      })),
    }),
  );
}

export function inputDigest(input: unknown): string {
  return sha256(canonicalJson(input));
}

/** The digests of a plan of `runbook` for `input` (the input as the job will carry it). */
export function plannedDigests<I, S, F>(
  runbook: Runbook<I, S, F>,
  input: NoInfer<I>,
): PlannedDigests {
  return { runbook: runbookDigest(runbook, input), input: inputDigest(input) };
}

/**
 * Refuses (PlanChanged, never retried) a job whose runbook or input is not the one planned and
 * approved: `raw` is the input as the job carries it, `input` the same validated.
 */
export function checkPlanned(
  runbook: AnyRunbook,
  meta: Pick<JobMeta, 'planned' | 'approvedBy'>,
  raw: unknown,
  input: unknown,
): void {
  const { planned } = meta;
  const what = meta.approvedBy ? `what ${meta.approvedBy.name} approved` : 'what was planned';
  const again = 'Nothing was run: run the command again to see the plan as it is now';
  if (planned === undefined) {
    // Fail closed: an approval that does not say what it approved cannot be checked.
    if (meta.approvedBy)
      throw new OpsdeckError(
        ErrorCode.PlanChanged,
        `this job was approved by ${meta.approvedBy.name} without the digests of the plan approved, so it cannot be checked against the runbook on this worker. ${again}.`,
      );
    return;
  }
  const found = inputDigest(raw);
  if (found !== planned.input)
    throw new OpsdeckError(
      ErrorCode.PlanChanged,
      `this job's input is not ${what} (input digest ${short(found)}, approved ${short(planned.input)}). ${again}.`,
    );
  const digest = runbookDigest(runbook, input);
  if (digest !== planned.runbook)
    throw new OpsdeckError(
      ErrorCode.PlanChanged,
      `the ${runbook.name} runbook on this worker is not the one in ${what}: its steps, their order, irreversible marks or cleanups changed since (runbook digest ${short(digest)}, approved ${short(planned.runbook)}). ${again}.`,
    );
}

const short = (digest: string) => digest.slice(0, 12);
