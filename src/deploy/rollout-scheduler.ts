import { sleepUnlessAborted } from '../util/sleep';
import { setMaxListeners } from 'node:events';

/**
 * Runs a deploy's hosts with bounded concurrency and reports what happened to each. It knows
 * nothing of processes or Slack: `runHost` does the work (host-runner.ts in a runbook), the
 * callbacks checkpoint and report.
 *
 * - At most `concurrency` hosts run at once. Without `batchPauseMs` a host starts as soon as a
 *   slot is free; with it, hosts go in batches of `concurrency`, the next batch starting
 *   `batchPauseMs` after the previous one has finished.
 * - Once `failureThreshold` hosts have failed (previous run included), no new host starts; those
 *   running finish.
 * - Resumable: hosts in `previous` (results a previous run recorded) are not run again and count
 *   as they ended. A host that was started but whose result was never recorded runs again.
 * - Callbacks are awaited: `onHostStarted` before the host's command starts (record the intent),
 *   `onHostFinished` before its slot is given to the next host (record the result), so a
 *   checkpoint never lags behind more than the hosts running.
 * - `signal` (cancel): no new host starts, running hosts get their own signal aborted (the runner
 *   stops them) and are reported as they end; the report says which hosts never started.
 * - If `runHost` or a callback throws, no new host starts, the running ones finish (their
 *   callbacks are still called), then the first error is thrown: a retried step resumes from
 *   what was recorded.
 */

export interface HostOutcome {
  host: string;
  ok: boolean;
  /** Stopped by a cancel (not counted as a failure towards the threshold). */
  cancelled?: boolean;
}

export interface RolloutProgress {
  /** Hosts finished, previous run included. */
  done: number;
  total: number;
  failed: number;
}

export interface RolloutOptions<R extends HostOutcome> {
  /** In the order they should run; each at most once. */
  hosts: readonly string[];
  concurrency: number;
  batchPauseMs?: number;
  failureThreshold: number;
  /** Results recorded by a previous run of the same rollout: those hosts are not run again. */
  previous?: readonly R[];
  runHost(host: string, signal: AbortSignal): Promise<R>;
  onHostStarted?(host: string, progress: RolloutProgress): Promise<void> | void;
  onHostFinished?(result: R, progress: RolloutProgress): Promise<void> | void;
  signal?: AbortSignal;
  /** For tests: how to wait between batches (must end early when `signal` aborts). */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

export interface RolloutReport<R extends HostOutcome> {
  /** Every host's result, previous run included, in the order of `hosts`. */
  results: R[];
  /** Hosts whose command ran in this run. */
  ran: string[];
  /** Hosts skipped because a previous run had finished them. */
  resumed: string[];
  succeeded: string[];
  failed: string[];
  /** Hosts stopped by the cancel. */
  cancelled: string[];
  notStarted: string[];
  /** Why hosts were left: the failure threshold, a cancel; null when every host ran. */
  stoppedBy: 'failure-threshold' | 'cancelled' | null;
}

export async function runRollout<R extends HostOutcome>(
  options: RolloutOptions<R>,
): Promise<RolloutReport<R>> {
  const { hosts, failureThreshold } = options;
  if (new Set(hosts).size !== hosts.length) throw new Error('a rollout lists a host twice');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
    throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
  const sleep = options.sleep ?? sleepUnlessAborted;
  const finished = new Map<string, R>();
  for (const result of options.previous ?? [])
    if (hosts.includes(result.host)) finished.set(result.host, result);
  const resumed = hosts.filter((h) => finished.has(h));
  const queue = hosts.filter((h) => !finished.has(h));
  const ran: string[] = [];

  const failures = () => [...finished.values()].filter((r) => !r.ok && !r.cancelled).length;
  const progress = (): RolloutProgress => ({
    done: finished.size,
    total: hosts.length,
    failed: failures(),
  });

  const cancel = new AbortController();
  // One listener per running host (the runner's), which may be many.
  setMaxListeners(options.concurrency + 10, cancel.signal);
  const onAbort = () => cancel.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  let firstError: { error: unknown } | undefined;
  let stoppedBy: RolloutReport<R>['stoppedBy'] = null;
  const mayStart = (): boolean => {
    if (firstError) return false;
    if (cancel.signal.aborted) {
      stoppedBy = 'cancelled';
      return false;
    }
    if (failures() >= failureThreshold) {
      stoppedBy = 'failure-threshold';
      return false;
    }
    return true;
  };

  const runOne = async (host: string): Promise<void> => {
    try {
      await options.onHostStarted?.(host, progress());
      ran.push(host);
      const result = await options.runHost(host, cancel.signal);
      finished.set(host, result);
      await options.onHostFinished?.(result, progress());
    } catch (error) {
      firstError ??= { error };
    }
  };

  try {
    if (options.batchPauseMs === undefined) {
      // Rolling: a worker per slot takes the next host whenever it is free.
      const worker = async () => {
        while (queue.length > 0 && mayStart()) await runOne(queue.shift()!);
      };
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency, queue.length) }, worker),
      );
    } else {
      let first = true;
      while (queue.length > 0 && mayStart()) {
        if (!first) {
          await sleep(options.batchPauseMs, cancel.signal);
          if (!mayStart()) break;
        }
        first = false;
        await Promise.all(queue.splice(0, options.concurrency).map(runOne));
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (firstError) throw firstError.error;
  if (queue.length > 0 && stoppedBy === null) mayStart();
  if (cancel.signal.aborted && stoppedBy === null && ran.some((h) => finished.get(h)?.cancelled))
    stoppedBy = 'cancelled';

  const results = hosts.flatMap((h) => {
    const r = finished.get(h);
    return r ? [r] : [];
  });
  return {
    results,
    ran,
    resumed,
    succeeded: results.filter((r) => r.ok).map((r) => r.host),
    failed: results.filter((r) => !r.ok && !r.cancelled).map((r) => r.host),
    cancelled: results.filter((r) => !r.ok && r.cancelled).map((r) => r.host),
    notStarted: hosts.filter((h) => !finished.has(h)),
    stoppedBy,
  };
}
