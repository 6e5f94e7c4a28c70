import type { Logger } from '../log/logger';

/**
 * On SIGTERM/SIGINT: stop taking work and give running jobs up to `timeoutMs` to reach a
 * checkpoint; then exit anyway. A job cut off here is not lost: its lock expires and another
 * worker resumes it from its last checkpoint.
 */
export function exitOnSignals(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.warn(
        { timeoutMs },
        'shutdown wait exceeded; exiting with work in flight (it will resume elsewhere)',
      );
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
