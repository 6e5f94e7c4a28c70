import { loadConfig } from '../config/load-config';
import { readSecrets } from '../config/secrets';
import { describeError } from '../errors';
import { createLogger } from '../log/logger';
import { createRuntime, type Runtime } from './runtime';
import { exitOnSignals } from './shutdown';

/**
 * Starts a process: config read and validated once, secrets read from the environment, one
 * runtime; `start` brings up the parts and returns how to stop them. A bad config or a missing
 * secret ends the process with the exact reason and exit code 1.
 */
export async function boot(
  name: string,
  start: (runtime: Runtime) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  let runtime: Runtime;
  try {
    const { config, path } = loadConfig();
    const logger = createLogger(config.log.level, name);
    logger.info({ config: path ?? '(defaults)' }, 'starting');
    runtime = createRuntime(config, readSecrets(config), logger);
  } catch (error) {
    process.stderr.write(`${name}: ${describeError(error)}\n`);
    process.exit(1);
  }
  // Signals are handled from before the start: a SIGTERM while the parts come up (a deploy
  // rolling the workers) waits for them to be up, then stops them as it would any time later.
  const starting = start(runtime);
  exitOnSignals(runtime.logger, runtime.config.queue.shutdownTimeoutMs, async () => {
    const running = await starting.catch(() => undefined);
    await running?.stop();
    await runtime.close();
  });
  try {
    await starting;
  } catch (error) {
    runtime.logger.fatal({ err: error }, 'startup failed');
    process.exit(1);
  }
}
