import { type ChildProcess, spawn } from 'node:child_process';
import { extname, join } from 'node:path';
import type { Logger } from '../log/logger';
import { backoffDelay } from '../util/backoff';

/** A child that ran this long before it exited starts its backoff again from the first step. */
const HEALTHY_MS = 60_000;
const RESTART_MAX_MS = 60_000;

export interface FeedsProcess {
  stop(): Promise<void>;
}

/**
 * The feeds worker (`worker --role feeds`) as a child of this process, for a worker or `npm
 * start` started without a role: same program, same environment (secrets stay out of its
 * arguments), its log lines on this process's stdout. It is restarted when it dies (backoff from
 * 1 s up to a minute), stopped with SIGTERM (SIGKILL after `stopTimeoutMs`) when this process
 * stops, and stops by itself when this process dies (it watches its IPC channel: worker.ts).
 */
export function startFeedsProcess(logger: Logger, stopTimeoutMs: number): FeedsProcess {
  const script = join(__dirname, `worker${extname(__filename)}`);
  let child: ChildProcess | undefined;
  let stopping = false;
  let failures = 0;
  let restart: NodeJS.Timeout | undefined;
  const start = () => {
    const startedAt = Date.now();
    const started = spawn(process.execPath, [...process.execArgv, script, '--role', 'feeds'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: process.env,
      // Its own process group: a Ctrl-C at the terminal reaches this process, which stops it.
      detached: true,
    });
    child = started;
    logger.info({ pid: started.pid }, 'feeds worker process started');
    started.once('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      failures = Date.now() - startedAt > HEALTHY_MS ? 1 : failures + 1;
      const delayMs = backoffDelay(failures - 1, { baseDelayMs: 1000, maxDelayMs: RESTART_MAX_MS });
      logger.error({ code, signal, delayMs }, 'feeds worker process exited; restarting it');
      restart = setTimeout(start, delayMs);
    });
  };
  start();
  return {
    async stop() {
      stopping = true;
      clearTimeout(restart);
      const running = child;
      if (!running) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      const kill = setTimeout(() => running.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(kill);
    },
  };
}
