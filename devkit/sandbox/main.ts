import { describeError } from '../../src/errors';
import { loadDevConfig } from '../dev-config';
import { runSandboxCli } from './cli';

/**
 * `npm run sandbox -- start|reset|seed [--big]` (no argument: start): the sandbox cloud of the
 * config's `sandbox` section; `start` runs in the foreground until SIGTERM/SIGINT.
 */
const argv = process.argv.slice(2);
const dev = loadDevConfig();
runSandboxCli(argv.length > 0 ? argv : ['start'], dev.sandbox, dev.config).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sandbox: ${describeError(error)}`);
    process.exit(1);
  },
);
