/**
 * Resolves after `ms`, or rejects as soon as `signal` aborts: with the signal's reason when it is
 * an Error, else with an `AbortError` that carries the reason. Every wait in opsdeck is this one.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Like `sleep`, but an abort ends the wait early instead of rejecting. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, signal).catch(() => undefined);
}

/** The error for an aborted signal: its reason if that is an Error. */
export function abortError(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const error = new Error(`aborted: ${String(signal.reason ?? 'no reason given')}`);
  error.name = 'AbortError';
  return error;
}
