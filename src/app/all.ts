import { boot } from './boot';
import { startBot } from './start-bot';
import { startWorker } from './start-worker';

/** Bot and worker in one process, for small installations: `npm start`. */
void boot('opsdeck', async (runtime) => {
  const worker = await startWorker(runtime);
  const bot = await startBot(runtime);
  return {
    async stop() {
      await bot.stop();
      await worker.stop();
    },
  };
});
