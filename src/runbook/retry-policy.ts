import { UnrecoverableError } from 'bullmq';
import { CancelledError, isOpsdeckError } from '../errors';
import type { RetryPolicy } from './define-runbook';

/** Network-level error codes that say nothing about the request itself. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/** AWS error names that mean "slow down" or "try again". */
const TRANSIENT_AWS =
  /^(Throttling|ThrottlingException|RequestLimitExceeded|TooManyRequestsException|PriorRequestNotComplete|ServiceUnavailable|InternalFailure|RequestTimeout)$/;

/**
 * Whether trying again may help. Coded errors say so themselves; input errors, cancellation and
 * unknown failures are not retried, because repeating an unknown failure blindly is how side
 * effects get doubled.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof CancelledError || error instanceof UnrecoverableError) return false;
  if (isOpsdeckError(error)) return error.retryable;
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, $retryable } = error as {
    code?: unknown;
    name?: unknown;
    $retryable?: unknown;
  };
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (typeof name === 'string' && TRANSIENT_AWS.test(name)) return true;
  return $retryable !== undefined && $retryable !== null;
}

/** Exponential backoff with full jitter, capped: random in [d/2, d] with d = min(max, base·2^n). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or rejects with CancelledError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a step sees when its signal aborts: the reason if it is an Error, else cancellation. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new CancelledError(String(signal.reason ?? 'cancelled'));
}
