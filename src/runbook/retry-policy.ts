import { UnrecoverableError } from 'bullmq';
import { CancelledError, ErrorCode, isOpsdeckError } from '../errors';

/**
 * Whether trying again may help. Coded errors say so themselves; cancellation and BullMQ's
 * unrecoverable errors never; other errors only when one of the adapters' classifiers (passed by
 * the app) knows them as transient. Unknown failures are not retried: repeating an unknown
 * failure blindly is how side effects get doubled.
 */
export function transientBy(
  classify: (error: unknown) => boolean = () => false,
): (error: unknown) => boolean {
  return (error) => {
    if (error instanceof CancelledError || error instanceof UnrecoverableError) return false;
    if (isOpsdeckError(error)) return error.retryable;
    return classify(error);
  };
}

/** The error a step sees when its signal aborts: the reason if it is an Error, else cancellation. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new CancelledError(String(signal.reason ?? 'cancelled'));
}

/** Why a step's signal aborted, as its thread says it: `cancelled` or `the step timed out`. */
export function abortWords(signal: AbortSignal): string {
  const reason = abortReason(signal);
  return isOpsdeckError(reason) && reason.code === ErrorCode.StepTimeout
    ? 'the step timed out'
    : 'cancelled';
}
