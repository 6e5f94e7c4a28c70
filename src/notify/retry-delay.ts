/**
 * Exponential backoff with jitter: attempt 0 waits about `baseMs`, each next attempt about twice
 * as long, never more than `maxMs`. The wait is drawn from the upper half of the step, so retries
 * of many callers spread out but none comes back immediately.
 */
export function retryDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}
