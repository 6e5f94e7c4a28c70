import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Runs one host's command (an argv from command-template.ts) without a shell, in its own process
 * group, and reports how it ended. Never throws for the command's sake: a program that cannot be
 * started, fails, times out or is cancelled is a result (`ok: false`) for the rollout to count.
 *
 * - Output (stdout and stderr, interleaved as they arrive) goes to `outputFile`, up to
 *   `maxOutputBytes`; what comes after is counted and a note says how much was not kept. Memory
 *   holds only the last `tailBytes` (the tail for Slack).
 * - Timeout and cancel (`signal`): SIGTERM to the whole process group (so `ssh` and a script's
 *   children stop too), SIGKILL `killGraceMs` later if anything is still there.
 * - The child gets a small environment (PATH, HOME, USER, LANG, LC_ALL, TZ, SSH_AUTH_SOCK and
 *   `env`), never the worker's own: its secrets (database passwords, Slack tokens) stay put.
 */

export interface HostRunOptions {
  host: string;
  /** `argv[0]` is the program (looked up in PATH). */
  argv: readonly string[];
  timeoutMs: number;
  /** Aborting it cancels the command. */
  signal?: AbortSignal;
  /** Where the full output goes (created with its directory; overwritten). */
  outputFile: string;
  /** Default 10 MiB. */
  maxOutputBytes?: number;
  /** Default 4000. */
  tailBytes?: number;
  /** Between SIGTERM and SIGKILL; default 10 s. */
  killGraceMs?: number;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Told the command's process group id once it runs (not awaited: the caller records it, so a
   * job resumed after this worker died can stop a command it left running).
   */
  onSpawn?: (processGroup: number) => Promise<void> | void;
}

export interface HostResult {
  host: string;
  /** Exit code 0, not timed out, not cancelled. */
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  startedAt: number;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  /** Why the program did not start (ENOENT, EACCES), when it did not. */
  error?: string;
  /** The last `tailBytes` of output (whole lines where possible). */
  tail: string;
  outputFile: string;
  /** Output bytes the command wrote (also those past the cap). */
  outputBytes: number;
  outputTruncated: boolean;
}

const PASSED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'SSH_AUTH_SOCK'];
/** How long to wait for the pipes to close after the process exited (a grandchild may hold them). */
const PIPE_CLOSE_WAIT_MS = 2000;

export async function runHost(options: HostRunOptions): Promise<HostResult> {
  const maxOutputBytes = options.maxOutputBytes ?? 10 * 1024 * 1024;
  const tailBytes = options.tailBytes ?? 4000;
  const killGraceMs = options.killGraceMs ?? 10_000;
  const startedAt = Date.now();
  await mkdir(dirname(options.outputFile), { recursive: true });
  const file = createWriteStream(options.outputFile);
  const fileOpened = new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', reject);
  });
  await fileOpened;

  let outputBytes = 0;
  let kept = 0;
  let tail = Buffer.alloc(0);
  const collect = (chunk: Buffer) => {
    outputBytes += chunk.length;
    if (kept < maxOutputBytes) {
      const part = chunk.subarray(0, maxOutputBytes - kept);
      kept += part.length;
      file.write(part);
    }
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > tailBytes) tail = tail.subarray(tail.length - tailBytes);
  };

  const result = (fields: Partial<HostResult>, note: string | undefined): HostResult => {
    const ended = {
      host: options.host,
      exitCode: null,
      signal: null,
      startedAt,
      durationMs: Date.now() - startedAt,
      timedOut: false,
      cancelled: false,
      ...fields,
      outputFile: options.outputFile,
      outputBytes,
      outputTruncated: outputBytes > kept,
      tail: [tailText(tail, outputBytes > tail.length), note && `[opsdeck: ${note}]`]
        .filter(Boolean)
        .join('\n'),
    } as HostResult;
    ended.ok = ended.exitCode === 0 && !ended.timedOut && !ended.cancelled && !ended.error;
    return ended;
  };

  const finish = async (fields: Partial<HostResult>, note?: string): Promise<HostResult> => {
    if (outputBytes > kept)
      file.write(
        `\n[opsdeck: output cut after ${kept} bytes; ${outputBytes - kept} more bytes not kept]\n`,
      );
    if (note) file.write(`\n[opsdeck: ${note}]\n`);
    await new Promise<void>((resolve) => file.end(resolve));
    return result(fields, note);
  };

  if (options.signal?.aborted)
    return finish({ cancelled: true, durationMs: 0 }, 'cancelled before it started');

  const env: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);

  const [program, ...args] = options.argv;
  const child = spawn(program ?? '', args, {
    shell: false,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  if (child.pid !== undefined && options.onSpawn) {
    const pid = child.pid;
    void Promise.resolve()
      .then(() => options.onSpawn!(pid))
      .catch(() => undefined);
  }

  let timedOut = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    signalGroup(child.pid, 'SIGTERM');
    killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const ended = await new Promise<
    { code: number | null; signal: NodeJS.Signals | null } | { error: Error }
  >((resolve) => {
    child.once('error', (error) => resolve({ error }));
    child.once('exit', (code, signal) => {
      // The pipes close when every process holding them is gone; a grandchild that left the
      // group could hold them forever, so wait a bounded time, then stop reading.
      const late = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal });
      }, PIPE_CLOSE_WAIT_MS);
      child.once('close', () => {
        clearTimeout(late);
        resolve({ code, signal });
      });
    });
  });
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  // The leader is gone; make sure nothing of its group outlives it.
  if (!('error' in ended)) signalGroup(child.pid, 'SIGKILL');
  clearTimeout(killTimer);

  if ('error' in ended)
    return finish(
      { error: ended.error.message },
      `could not start ${program}: ${ended.error.message}`,
    );
  const note = timedOut
    ? `timed out after ${options.timeoutMs} ms`
    : cancelled
      ? 'cancelled'
      : undefined;
  return finish({ exitCode: ended.code, signal: ended.signal, timedOut, cancelled }, note);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The tail as text: a partial first line (and a cut UTF-8 character) dropped when it was cut. */
function tailText(tail: Buffer, cut: boolean): string {
  let text = tail.toString('utf8');
  if (cut) {
    const newline = text.indexOf('\n');
    if (newline >= 0 && newline < text.length - 1) text = text.slice(newline + 1);
    else text = text.replace(/^\uFFFD+/, '');
  }
  return text.replace(/\n$/, '');
}
