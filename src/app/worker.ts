import { boot } from './boot';
import { startWorker } from './start-worker';

/** A worker alone: `npm run worker`. Run as many as the load needs, on any machine. */
void boot('opsdeck-worker', startWorker);
