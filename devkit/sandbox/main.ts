import { describeError } from '../../src/errors';
import { loadDevConfig } from '../dev-config';
import { runSandboxCli } from './cli';

/**
 * `npm run sandbox -- start|reset|seed [--big]` (no argument: start): the sandbox cloud of the
 * config's `sandbox` section; `start` runs in the foreground until SIGTERM/SIGINT.
 */
const argv = process.argv.slice(2);
runSandboxCli(argv.length > 0 ? argv : ['start'], loadDevConfig().sandbox).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sandbox: ${describeError(error)}`);
    process.exit(1);
  },
);
