import { UsageError } from '../errors';
import { boot } from './boot';
import { startFeedsProcess } from './feeds-process';
import { startWorker } from './start-worker';
import { roleArgument, type WorkerRole } from './worker-role';

/**
 * A worker: `npm run worker [-- --role runbooks|feeds|all]`, `opsdeck worker [--role …]`. Run as
 * many as the load needs, on any machine. Without a role it runs the runbooks and starts the
 * feeds worker as a child process, so a feed never shares a process with a runbook by default.
 */
let role: WorkerRole | undefined;
try {
  role = roleArgument(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`opsdeck worker: ${error.message}\n${error.usage}\n`);
  process.exit(2);
}

// Started by another process (feeds-process.ts): when that one dies, this one stops too.
if (process.channel) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

void boot(role ? `opsdeck-worker-${role}` : 'opsdeck-worker', async (runtime) => {
  const worker = await startWorker(runtime, role ?? 'runbooks');
  const feeds = role
    ? undefined
    : startFeedsProcess(runtime.logger, runtime.config.queue.shutdownTimeoutMs);
  return {
    async stop() {
      await Promise.all([feeds?.stop(), worker.stop()]);
    },
  };
});
