export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with jitter, capped: retry 0 waits about `baseDelayMs`, each next retry
 * about twice as long, never more than `maxDelayMs`. The wait is drawn from the upper half of the
 * step, so the retries of many callers spread out but none comes back at once.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const step = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.min(Math.max(0, retry), 30),
  );
  return Math.round(step / 2 + random() * (step / 2));
}
