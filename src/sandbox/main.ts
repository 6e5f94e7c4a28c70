import { loadConfig } from '../config/load-config';
import { describeError } from '../errors';
import { runSandboxCli } from './cli';

/** `npx tsx src/sandbox/main.ts`: the sandbox cloud in the foreground, until SIGTERM/SIGINT. */
runSandboxCli(['start'], loadConfig().config).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sandbox: ${describeError(error)}`);
    process.exit(1);
  },
);
