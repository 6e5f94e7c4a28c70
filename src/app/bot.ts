import { boot } from './boot';
import { startBot } from './start-bot';

/** The front door alone: `npm run bot`. */
void boot('opsdeck-bot', startBot);
