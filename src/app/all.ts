import { boot } from './boot';
import { startFeedsProcess } from './feeds-process';
import { startBot } from './start-bot';
import { startWorker } from './start-worker';

/**
 * Bot and runbook worker in one process, for small installations (`npm start`); the feeds
 * worker runs beside it as a child process (feeds-process.ts).
 */
void boot('opsdeck', async (runtime) => {
  const worker = await startWorker(runtime, 'runbooks');
  const feeds = startFeedsProcess(runtime.logger, runtime.config.queue.shutdownTimeoutMs);
  const bot = await startBot(runtime);
  return {
    async stop() {
      await bot.stop();
      await Promise.all([feeds.stop(), worker.stop()]);
    },
  };
});
