import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeployHistory } from './deploy-history';
import { runHost, type HostResult } from './host-runner';

/**
 * One command of a deploy (a host's, or the environment's pre or post) run on this worker, its
 * full output (up to the cap) kept in the history beside the deploy as it ends: the worker's disk
 * holds it only while the command runs.
 */

/** Between SIGTERM and SIGKILL when a command is stopped (timeout, cancel). */
export const KILL_GRACE_MS = 10_000;
/** A cancelled step waits this long for its commands to stop and their results to be told. */
export const SETTLE_ON_CANCEL_MS = KILL_GRACE_MS + 5000;
/** Kept in the history per host (the rest is counted, not kept). */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface DeployCommand {
  jobId: string;
  /** `deploy.outputDir`: this worker's files of running commands, one directory per job. */
  outputDir: string;
  history: DeployHistory;
  /** The host it runs for (`pre` and `post` for those). */
  host: string;
  /** Its output file's name (default: the host's; `_pre` and `_post` keep clear of hosts). */
  fileName?: string;
  argv: readonly string[];
  timeoutMs: number;
  signal: AbortSignal;
  /** Told the process group as the command starts (a resumed job stops one left running). */
  onSpawn?: (processGroup: number) => Promise<void> | void;
}

/** Runs the command (never throws for its sake: see runHost) and keeps its output. */
export async function runDeployCommand(command: DeployCommand): Promise<HostResult> {
  const result = await runHost({
    host: command.host,
    argv: command.argv,
    timeoutMs: command.timeoutMs,
    signal: command.signal,
    outputFile: outputFile(command.outputDir, command.jobId, command.fileName ?? command.host),
    maxOutputBytes: MAX_OUTPUT_BYTES,
    killGraceMs: KILL_GRACE_MS,
    ...(command.onSpawn && { onSpawn: command.onSpawn }),
  });
  const output = await readFile(result.outputFile).catch(() => Buffer.alloc(0));
  await command.history.recordHostOutput(command.jobId, {
    host: result.host,
    ok: result.ok,
    exitCode: result.exitCode,
    signal: result.signal,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    outputBytes: result.outputBytes,
    outputTruncated: result.outputTruncated,
    output,
  });
  await rm(result.outputFile, { force: true });
  return result;
}

/** Removes this worker's output files of the job (one is left by a command a cancel stopped). */
export async function removeJobOutput(outputDir: string, jobId: string): Promise<void> {
  await rm(join(outputDir, jobId), { recursive: true, force: true });
}

function outputFile(outputDir: string, jobId: string, name: string): string {
  return join(outputDir, jobId, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}
