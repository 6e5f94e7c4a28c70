import { UnrecoverableError } from 'bullmq';
import { CancelledError, isOpsdeckError } from '../errors';

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

/** The error a step sees when its signal aborts: the reason if it is an Error, else cancellation. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new CancelledError(String(signal.reason ?? 'cancelled'));
}
