/** AWS error names that mean "slow down" or "try again". */
const TRANSIENT_AWS =
  /^(Throttling|ThrottlingException|RequestLimitExceeded|TooManyRequestsException|PriorRequestNotComplete|ServiceUnavailable|InternalFailure|RequestTimeout)$/;

/** Whether an AWS SDK error may go away on a later attempt (throttling, a retryable fault). */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $retryable } = error as { name?: unknown; $retryable?: unknown };
  if (typeof name === 'string' && TRANSIENT_AWS.test(name)) return true;
  return $retryable !== undefined && $retryable !== null;
}
