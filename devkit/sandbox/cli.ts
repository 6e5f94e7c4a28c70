import { createAwsClients } from '../../src/aws/clients';
import type { OpsdeckConfig } from '../../src/config/schema';
import { ErrorCode, OpsdeckError, UsageError } from '../../src/errors';
import { resetSandbox } from './reset';
import type { SandboxConfig } from './config';
import { sandboxCaFile, startSandbox } from './sandbox';
import { SEED, seedAdmissions, seedSandbox } from './seed';

const USAGE = 'npm run sandbox -- start | reset | seed [--big]';

/**
 * `npm run sandbox -- start|reset|seed [--big]`. Returns the exit code; `start` returns only after
 * SIGTERM/SIGINT stopped the sandbox and every mariadbd it ran.
 */
export async function runSandboxCli(
  argv: string[],
  sandbox: SandboxConfig,
  /** The product config, whose opsdeck and replica addresses a seed lets into production. */
  product?: OpsdeckConfig,
): Promise<number> {
  const [command, ...rest] = argv;
  const url = `http://${sandbox.host}:${sandbox.port}`;
  if (command === 'start' && rest.length === 0) {
    const running = await startSandbox(sandbox, {
      onRefused: ({ instance, client, reason }) =>
        console.error(`sandbox: refused ${client} → ${instance}: ${reason}`),
    });
    console.log(`sandbox listening on ${running.url}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    console.log(`sandbox: ${signal}, stopping every instance`);
    await running.stop();
    return 0;
  }
  if (command === 'reset' && rest.length === 0) {
    if (await isListening(url)) {
      throw new OpsdeckError(
        ErrorCode.SandboxState,
        `the sandbox is running at ${url}: stop it before a reset`,
      );
    }
    await resetSandbox(sandbox.dataDir);
    console.log(`sandbox reset: ${sandbox.dataDir} removed`);
    return 0;
  }
  if (command === 'seed' && rest.every((arg) => arg === '--big')) {
    if (!(await isListening(url))) {
      throw new OpsdeckError(
        ErrorCode.SandboxState,
        `no sandbox at ${url}: start it with \`npm run sandbox -- start\``,
      );
    }
    const clients = createAwsClients(
      {
        region: sandbox.region,
        endpoint: url,
        accessKeyIdEnv: 'SANDBOX_KEY',
        secretAccessKeyEnv: 'SANDBOX_SECRET',
      },
      { SANDBOX_KEY: 'AKIASANDBOX', SANDBOX_SECRET: 'sandbox' },
    );
    const summary = await seedSandbox(clients, {
      big: rest.includes('--big'),
      caFile: sandboxCaFile(sandbox.dataDir),
      ...(product && { admit: seedAdmissions(product) }),
    });
    console.log(
      [
        `seeded: RDS instance "${SEED.instance}" at ${summary.endpoint} (user ${SEED.masterUsername}, password ${SEED.masterPassword}, database ${SEED.database}; TLS only, CA ${sandboxCaFile(sandbox.dataDir)})`,
        `        private zone ${summary.zone} (db-billing), deploy hosts ${summary.hosts.join(', ')}`,
      ].join('\n'),
    );
    return 0;
  }
  throw new UsageError(`unknown sandbox command: ${argv.join(' ') || '(none)'}`, USAGE);
}

async function isListening(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}
