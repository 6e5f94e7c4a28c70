import type { OpsdeckConfig } from '../config/schema';
import { CancelledError, ErrorCode, OpsdeckError, describeError, isOpsdeckError } from '../errors';
import { jobLogger, type Logger } from '../log/logger';
import type { JobEnvelope, Person } from './job-envelope';
import { newCheckpoint, type Checkpoint, type Outcome } from './checkpoint';
import type { AnyRunbook, RetryPolicy, StepContext, StepDefinition } from './define-runbook';
import type { ApprovalGate } from './approval-gate';
import { checkPlanned } from './plan-digest';
import { planOf } from './plan-of';
import { ProgressMeter } from './progress-meter';
import { abortReason, transientBy } from './retry-policy';
import type { RunbookEvent, RunbookObserver } from './runbook-events';
import type { RunbookServices } from './runbook-services';
import { sleep, sleepUnlessAborted } from '../util/sleep';
import { backoffDelay } from '../util/backoff';

export interface RunRunbookOptions {
  definition: AnyRunbook;
  envelope: JobEnvelope<unknown, Checkpoint>;
  /** Aborted when the job is cancelled while it runs. */
  signal: AbortSignal;
  /** Saves the checkpoint durably (into the BullMQ job). */
  persist(checkpoint: Checkpoint): Promise<void>;
  /** Who asked to cancel the job, if anyone (checked before every step). */
  cancelRequestedBy(): Promise<Person | null>;
  /** Publishes the current step and percent where `/ops jobs` can read it. */
  reportProgress?(progress: { step: string; percent: number }): Promise<void>;
  observers: readonly RunbookObserver[];
  services: RunbookServices;
  /** Asks for approvals mid-run (`approval` steps); without it a step that asks fails. */
  approvals?: ApprovalGate;
  /**
   * Whether an error may go away if the step is tried again (the adapters' classifiers, composed
   * by the app); coded errors say so themselves.
   */
  isTransient?: (error: unknown) => boolean;
  logger: Logger;
  settings: OpsdeckConfig['runbook'];
  now?: () => number;
}

export interface RunbookResult {
  outcome: Outcome;
  error?: string;
  checkpoint: Checkpoint;
}

/**
 * Runs a runbook from its checkpoint to the end. Steps already completed are skipped; the
 * cleanups of every started step run in reverse order however the steps end (and resume, if a
 * crash interrupted them). Never throws for a step failure: the outcome says how it ended.
 */
export async function runRunbook(options: RunRunbookOptions): Promise<RunbookResult> {
  return new RunbookRun(options).run();
}

class RunbookRun {
  private readonly cp: Checkpoint;
  private readonly now: () => number;
  private readonly log: Logger;
  private emitChain: Promise<void> = Promise.resolve();

  private readonly isTransient: (error: unknown) => boolean;

  constructor(private readonly o: RunRunbookOptions) {
    this.now = o.now ?? Date.now;
    this.isTransient = transientBy(o.isTransient);
    this.cp = structuredClone(o.envelope.checkpoint) ?? newCheckpoint(this.now());
    this.log = jobLogger(o.logger, o.envelope.meta.jobId);
  }

  async run(): Promise<RunbookResult> {
    const { cp } = this;
    const resumed = cp.runs > 0;
    cp.runs += 1;
    await this.save();
    if (cp.phase === 'done') return this.result();
    await this.emit({ type: 'started', resumed, run: cp.runs });

    if (cp.phase === 'steps') {
      await this.runSteps();
      cp.phase = 'cleanup';
      await this.save();
    }
    await this.runCleanups();
    cp.phase = 'done';
    await this.save();
    await this.emit({
      type: 'finished',
      outcome: cp.outcome!,
      durationMs: this.now() - cp.startedAt,
      ...(cp.error ? { error: cp.error } : {}),
    });
    await this.emitChain;
    return this.result();
  }

  private result(): RunbookResult {
    return {
      outcome: this.cp.outcome ?? 'failed',
      ...(this.cp.error ? { error: this.cp.error } : {}),
      checkpoint: this.cp,
    };
  }

  private async runSteps(): Promise<void> {
    const { cp, o } = this;
    const steps = o.definition.steps;
    try {
      const parsed = o.definition.input.safeParse(o.envelope.input);
      if (!parsed.success) {
        throw new OpsdeckError(
          ErrorCode.InputInvalid,
          `invalid job input: ${parsed.error.message}`,
        );
      }
      // Only what was planned (and approved) runs: checked before the first step, and on resume.
      checkPlanned(o.definition, o.envelope.meta, o.envelope.input, parsed.data);
      const active = steps.filter((step) => step.when?.(parsed.data) ?? true);
      for (const [index, step] of active.entries()) {
        if (cp.completed.includes(step.name)) continue;
        const canceller = await o.cancelRequestedBy();
        if (canceller || o.signal.aborted)
          throw new CancelledError(`cancelled by ${canceller?.name ?? 'request'}`);
        this.checkNeeds(step);
        if (step.cleanup && !cp.armed.includes(step.name)) {
          cp.armed.push(step.name);
          await this.save();
        }
        await this.runStep(step, parsed.data, index, active.length);
        cp.completed.push(step.name);
        await this.save();
      }
      cp.outcome = 'succeeded';
    } catch (error) {
      if (error instanceof CancelledError || o.signal.aborted) {
        cp.outcome = 'cancelled';
        const by = await o.cancelRequestedBy();
        cp.error = by ? `cancelled by ${by.name}` : describeError(error);
      } else {
        cp.outcome = 'failed';
        cp.error = describeError(error);
      }
    }
  }

  /** The state fields the step needs are there: else the runbook's order is broken (no retry). */
  private checkNeeds(step: StepDefinition): void {
    const missing = step.needs.filter((key) => this.cp.state[key] === undefined);
    if (missing.length > 0)
      throw new OpsdeckError(
        ErrorCode.StepStateMissing,
        `step ${step.name} needs ${missing.join(', ')} in the job's state, which no earlier step recorded`,
      );
  }

  private async runStep(
    step: StepDefinition,
    input: unknown,
    index: number,
    count: number,
  ): Promise<void> {
    const policy: RetryPolicy = { ...this.o.settings.retry, ...step.retry };
    const startedAt = this.now();
    for (let attempt = 1; ; attempt++) {
      await this.emit({ type: 'step-started', step: step.name, index, count, attempt });
      try {
        await this.invoke(step, 'run', input, this.o.signal, step.settleOnAbortMs);
        await this.emit({
          type: 'step-finished',
          step: step.name,
          durationMs: this.now() - startedAt,
        });
        return;
      } catch (caught) {
        const error = this.o.signal.aborted ? abortReason(this.o.signal) : caught;
        if (
          error instanceof CancelledError ||
          !this.isTransient(error) ||
          attempt >= policy.attempts
        ) {
          await this.emit({
            type: 'step-failed',
            step: step.name,
            durationMs: this.now() - startedAt,
            error: describeError(error),
            ...(isOpsdeckError(error) ? { code: error.code } : {}),
          });
          throw error;
        }
        const delayMs = backoffDelay(attempt - 1, policy);
        await this.emit({
          type: 'step-retry',
          step: step.name,
          attempt,
          delayMs,
          error: describeError(error),
        });
        await sleep(delayMs, this.o.signal);
      }
    }
  }

  /** Cleanups are not cancellable (cancelling is what asks for them), only bounded by time. */
  private async runCleanups(): Promise<void> {
    const { cp, o } = this;
    const never = new AbortController().signal;
    // Only steps that started are armed, and steps start only after the input validated.
    const input: unknown =
      cp.armed.length > 0 ? o.definition.input.parse(o.envelope.input) : undefined;
    for (const name of [...cp.armed].reverse()) {
      if (cp.cleanedUp.includes(name)) continue;
      const step = o.definition.steps.find((s) => s.name === name);
      if (!step?.cleanup) continue;
      const label = step.cleanup.name;
      const policy: RetryPolicy = { ...o.settings.retry, ...step.retry };
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await this.invoke(step, 'cleanup', input, never);
            break;
          } catch (error) {
            if (!this.isTransient(error) || attempt >= policy.attempts) throw error;
            await sleep(backoffDelay(attempt - 1, policy));
          }
        }
        cp.cleanedUp.push(name);
        await this.save();
        await this.emit({ type: 'cleanup', step: name, name: label, ok: true });
      } catch (error) {
        const message = describeError(error);
        this.log.error({ step: name, err: error }, `cleanup ${label} failed`);
        await this.emit({ type: 'cleanup', step: name, name: label, ok: false, error: message });
        const failure = `cleanup "${label}" failed: ${message}`;
        if (cp.outcome === 'succeeded') cp.outcome = 'failed';
        cp.error = cp.error ? `${cp.error}; ${failure}` : failure;
        await this.save();
      }
    }
  }

  /**
   * Runs one step function (or, for an approval step, asks for the approval) with a timeout;
   * rejects as soon as the timeout or `outer` aborts.
   */
  private async invoke(
    step: StepDefinition,
    which: 'run' | 'cleanup',
    input: unknown,
    outer: AbortSignal,
    settleOnAbortMs = 0,
  ): Promise<void> {
    const stepName = step.name;
    const limit = step.timeoutMs ?? this.o.settings.defaultStepTimeoutMs;
    const timeout = new AbortController();
    // The timeout can be paused (while the step waits for an approval): `left` is what remains.
    let left = limit;
    let armedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      armedAt = this.now();
      timer = setTimeout(
        () =>
          timeout.abort(
            new OpsdeckError(ErrorCode.StepTimeout, `step ${stepName} timed out after ${limit} ms`),
          ),
        left,
      );
    };
    arm();
    // A step reads why it was stopped from `signal.reason`: always an Error, a CancelledError when
    // the job was cancelled (BullMQ aborts with the bare string it was given).
    const cancelled = new AbortController();
    const onCancel = () => cancelled.abort(abortReason(outer));
    if (outer.aborted) onCancel();
    else outer.addEventListener('abort', onCancel, { once: true });
    const signal = AbortSignal.any([cancelled.signal, timeout.signal]);
    const meter = new ProgressMeter(this.now(), this.o.settings.progressIntervalMs);
    const ctx: StepContext<unknown, Record<string, unknown>> = {
      input,
      meta: this.o.envelope.meta,
      state: this.cp.state,
      signal,
      log: jobLogger(this.o.logger, this.o.envelope.meta.jobId, stepName),
      services: this.o.services,
      remember: async (values) => {
        Object.assign(this.cp.state, values);
        await this.save();
      },
      progress: (done, total, unit) => {
        const line = meter.report(done, total, unit, this.now());
        if (!line) return;
        void this.emit({ type: 'progress', step: stepName, line });
        void this.o
          .reportProgress?.({ step: stepName, percent: line.percent })
          ?.catch(() => undefined);
      },
      say: (text) => this.emit({ type: 'say', step: stepName, text }),
      record: (what, detail) => this.emit({ type: 'record', step: stepName, what, detail }),
    };
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(abortReason(signal));
      signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
    });
    aborted.catch(() => undefined); // an abort after the step settled is nobody's error
    // An approval step asks while its timeout is paused (a person may take a while).
    const pause = () => {
      clearTimeout(timer);
      left -= this.now() - armedAt;
    };
    const resume = () => {
      if (!signal.aborted) arm();
    };
    const running =
      which === 'cleanup'
        ? step.cleanup!.run(ctx)
        : step.approval
          ? this.awaitApproval(step, ctx, pause, resume)
          : step.run(ctx);
    running.catch(() => undefined); // an abandoned step's own end is nobody's error either
    try {
      await Promise.race([running, aborted]);
    } catch (error) {
      // Give the step its time to stop what it started before the cleanups run.
      if (signal.aborted && settleOnAbortMs > 0) {
        // The wait ends with the step: no timer is left behind to hold the process open.
        const settled = new AbortController();
        await Promise.race([
          running.catch(() => undefined),
          sleepUnlessAborted(settleOnAbortMs, settled.signal),
        ]);
        settled.abort();
      }
      throw error;
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onCancel);
    }
  }

  /**
   * An approval step: the plan of the steps after it (and every cleanup), made from the runbook
   * with the facts the step gives from what the job found, goes to the approval gate.
   */
  private async awaitApproval(
    step: StepDefinition,
    ctx: StepContext<unknown, Record<string, unknown>>,
    pause: () => void,
    resume: () => void,
  ): Promise<void> {
    pause();
    const gate = this.o.approvals;
    if (!gate)
      throw new OpsdeckError(
        ErrorCode.ApprovalImpossible,
        'this worker cannot ask for approvals (no approval gate configured)',
      );
    const facts: unknown = step.approval!.facts(ctx);
    const plan = {
      summary: step.approval!.summary(ctx.input, facts),
      steps: planOf(this.o.definition, ctx.input, facts, { after: step.name }),
    };
    try {
      await gate.awaitApproval(
        {
          meta: this.o.envelope.meta,
          input: this.o.envelope.input as Record<string, unknown>,
          state: this.cp.state,
          remember: ctx.remember,
          say: ctx.say,
          signal: ctx.signal,
          stateKey: `approval:${step.name}`,
        },
        plan,
      );
    } finally {
      resume();
    }
  }

  private async save(): Promise<void> {
    await this.o.persist(this.cp);
  }

  /** Observers see events one at a time, in order; a failing observer does not stop the job. */
  private emit(event: RunbookEvent): Promise<void> {
    const at = this.now();
    this.emitChain = this.emitChain.then(async () => {
      for (const observer of this.o.observers) {
        try {
          await observer.onEvent(this.o.envelope.meta, event, at);
        } catch (error) {
          this.log.error({ err: error, event: event.type }, 'runbook observer failed');
        }
      }
    });
    return this.emitChain;
  }
}
