import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCommand, type CommandTemplate, type Placeholder } from '../config/command-template';
import { renderHealthUrl } from '../config/deploy';
import { sleep } from '../util/sleep';
import { runHost } from './host-runner';

/**
 * A host's health check after its deploy command succeeded: the environment's `healthCheck`
 * command (exit 0 is healthy) or URL (a 2xx answer), each attempt stopped after its timeout,
 * retried `retries` times `retryDelaySeconds` apart. A cancel (`signal`) ends it at once (thrown).
 */

export interface HealthCheck {
  command?: CommandTemplate;
  url?: string;
  timeoutSeconds: number;
  retries: number;
  retryDelaySeconds: number;
}

export interface HealthOutcome {
  ok: boolean;
  attempts: number;
  /** How the last attempt ended, in words (`exit code 1: …`, `HTTP 503`, `timed out after 5 s`). */
  detail: string;
}

export async function checkHealth(options: {
  check: HealthCheck;
  values: Record<Placeholder, string>;
  /** A directory for the check command's output while it runs (removed after). */
  workDir: string;
  signal: AbortSignal;
}): Promise<HealthOutcome> {
  const { check, values, signal } = options;
  let detail = '';
  for (let attempt = 1; ; attempt++) {
    detail = check.command
      ? await commandAttempt(check, values, options.workDir, signal)
      : await urlAttempt(check, renderHealthUrl(check.url!, values), signal);
    if (detail === '') return { ok: true, attempts: attempt, detail: 'healthy' };
    if (attempt > check.retries) return { ok: false, attempts: attempt, detail };
    await sleep(check.retryDelaySeconds * 1000, signal);
  }
}

/** '' when healthy, else what went wrong. */
async function commandAttempt(
  check: HealthCheck,
  values: Record<Placeholder, string>,
  workDir: string,
  signal: AbortSignal,
): Promise<string> {
  const { argv } = renderCommand(check.command!, values);
  const outputFile = join(workDir, `_health-${values.host.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
  const result = await runHost({
    host: values.host,
    argv,
    timeoutMs: check.timeoutSeconds * 1000,
    signal,
    outputFile,
    maxOutputBytes: 64 * 1024,
    tailBytes: 300,
    killGraceMs: 1000,
  });
  await rm(outputFile, { force: true });
  if (signal.aborted) throw signal.reason;
  if (result.ok) return '';
  const tail = result.tail.trim();
  const how = result.timedOut
    ? `timed out after ${check.timeoutSeconds} s`
    : result.error
      ? `did not start: ${result.error}`
      : result.signal
        ? `killed by ${result.signal}`
        : `exit code ${result.exitCode}`;
  return tail ? `${how}: ${tail}` : how;
}

async function urlAttempt(check: HealthCheck, url: string, signal: AbortSignal): Promise<string> {
  const timeout = AbortSignal.timeout(check.timeoutSeconds * 1000);
  try {
    const response = await fetch(url, {
      signal: AbortSignal.any([signal, timeout]),
      redirect: 'manual',
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300 ? '' : `HTTP ${response.status}`;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted) return `timed out after ${check.timeoutSeconds} s`;
    return `no answer: ${(error as Error).message}`;
  }
}
