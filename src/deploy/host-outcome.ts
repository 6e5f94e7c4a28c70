import { formatDuration } from '../util/duration';
import type { HostResult } from './host-runner';

/**
 * A host's result as a deploy job checkpoints it (its output lives in the history, not in the
 * checkpoint), and how the job tells it.
 */
export interface HostOutcome {
  host: string;
  ok: boolean;
  cancelled: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  error?: string;
  /** Its command succeeded, its health check did not: how the check failed. */
  unhealthy?: string;
}

/** A failed host's output in its thread reply: the end of it, this long at most. */
const TAIL_CHARS = 1500;

export function hostOutcome(result: HostResult): HostOutcome {
  return {
    host: result.host,
    ok: result.ok,
    cancelled: result.cancelled,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    ...(result.error !== undefined && { error: result.error }),
  };
}

export interface DeploySummary {
  ok: string[];
  failed: string[];
  notRun: string[];
}

/** The planned hosts by how they ended: ok, failed, and not run (never started, or cancelled). */
export function summariseHosts(
  hosts: readonly string[],
  results: readonly HostOutcome[],
): DeploySummary {
  const byHost = new Map(results.map((r) => [r.host, r]));
  const ok = hosts.filter((h) => byHost.get(h)?.ok === true);
  const failed = hosts.filter((h) => {
    const r = byHost.get(h);
    return r !== undefined && !r.ok && !r.cancelled;
  });
  const notRun = hosts.filter((h) => !ok.includes(h) && !failed.includes(h));
  return { ok, failed, notRun };
}

/** How a command that did not succeed ended, in words for its thread reply. */
export function describeFailure(result: HostResult | HostOutcome): string {
  if (result.cancelled) return 'was stopped by the cancel';
  if ('unhealthy' in result && result.unhealthy)
    return `failed its health check ${result.unhealthy}`;
  if (result.timedOut) return `timed out after ${formatDuration(result.durationMs)}`;
  if (result.error) return `did not start: ${result.error}`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `failed with exit code ${result.exitCode}`;
}

/** The end of a failed command's output as a code block (or that it wrote nothing). */
export function tailBlock(tail: string): string {
  const text = tail.trim();
  if (text === '') return ' (no output)';
  const cut = text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text;
  return `\n\`\`\`\n${cut.replace(/```/g, "'''")}\n\`\`\``;
}
