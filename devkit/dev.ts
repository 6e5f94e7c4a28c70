import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { createAwsClients } from '../src/aws/clients';
import { DEFAULT_CONFIG_FILE } from '../src/config/load-config';
import type { OpsdeckConfig } from '../src/config/schema';
import { readSecrets } from '../src/config/secrets';
import { describeError } from '../src/errors';
import { createLogger } from '../src/log/logger';
import { CONSOLE_CONFIG, loadDevConfig } from './dev-config';
import { startSandbox } from './sandbox/sandbox';
import { CONSOLE_REPLICA_ADDRESS } from './sandbox/network/loopback-addresses';
import { SEED, seedAdmissions, seedSandbox } from './sandbox/seed';
import { startStandaloneServer } from './sandbox/standalone-server';
import { ConsoleSession } from './console/console-session';
import { startFakeSlackApi } from './slack/fake-slack-api';
import { signedHttpDelivery, socketModeDelivery } from './slack/slack-delivery';
import { createRuntime } from '../src/app/runtime';
import { startBot } from '../src/app/start-bot';
import { startWorker } from '../src/app/start-worker';
import { ensureConsoleAuditKey } from './console-audit-key';
import { ensureConsoleQueueKey } from './console-queue-key';

/** The on-premise replica of console mode (`replicas.onprem` in config/console.yaml says where). */
const CONSOLE_REPLICA = {
  host: CONSOLE_REPLICA_ADDRESS,
  port: 3316,
  serverId: 3316,
  admin: { user: 'opsdeck', password: 'console-replica-pw' },
};

/**
 * Console mode (`npm run dev`): the whole bot on this machine, no Slack or AWS account needed.
 * Local Redis and MariaDB (started by scripts/local-services.sh), the sandbox cloud with its
 * seed, the bot's real Bolt receiver and a worker; the console adapter stands where Slack
 * stands. Options: --no-sandbox (skip the sandbox cloud), --socket (the bot connects to the
 * console's Slack over Socket Mode, as deployed bots should, instead of taking signed HTTP).
 */
async function main(): Promise<void> {
  const withSandbox = !process.argv.includes('--no-sandbox');
  const overSocket = process.argv.includes('--socket');
  const env = { ...process.env };
  // The console config's `databases` name the sandbox's "production" and its fixed local password.
  env.OPSDECK_SANDBOX_DB_PASSWORD ??= SEED.masterPassword;
  env.OPSDECK_SANDBOX_REPL_PASSWORD ??= SEED.replicationPassword;
  env.OPSDECK_CONSOLE_REPLICA_PASSWORD ??= CONSOLE_REPLICA.admin.password;
  if (!env.OPSDECK_CONFIG && !existsSync(DEFAULT_CONFIG_FILE)) env.OPSDECK_CONFIG = CONSOLE_CONFIG;
  const loaded = loadDevConfig(env);
  const logDir = resolve('.local');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, 'console.log');
  const logger = createLogger(
    loaded.config.log.level,
    'opsdeck-console',
    pino.destination({ dest: logFile, sync: false }),
  );
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`opsdeck console — config: ${loaded.path ?? '(defaults)'} — logs: ${logFile}`);

  let config: OpsdeckConfig = loaded.config;
  const stops: (() => Promise<void>)[] = [];
  if (withSandbox) {
    const sandbox = await startSandbox(loaded.sandbox, {
      onRefused: ({ instance, client, reason }) =>
        logger.warn(
          { instance, client },
          `sandbox: refused a connection to ${instance}: ${reason}`,
        ),
    });
    stops.push(() => sandbox.stop());
    // The SDK wants credentials; the sandbox accepts any. Real ones are never needed here.
    process.env.AWS_ACCESS_KEY_ID ??= 'sandbox';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'sandbox';
    config = { ...config, aws: { ...config.aws, endpoint: sandbox.url } };
    out(`sandbox cloud at ${sandbox.url}; seeding (first start takes a few seconds)…`);
    // Production's security group admits this machine, opsdeck (network.sourceAddress) and the
    // on-premise replica, so every command works out of the box.
    const seeded = await seedSandbox(createAwsClients(config.aws), {
      big: false,
      admit: seedAdmissions(config),
      caFile: sandbox.caFile,
    });
    out(
      `sandbox ready: production database at ${seeded.endpoint} (TLS only, CA ${sandbox.caFile}), zone ${seeded.zone}, hosts ${seeded.hosts.join(', ')}`,
    );
    // Where the config's `replicas.onprem` says it is (3316 in config/console.yaml).
    const onprem = config.replicas.onprem;
    const replica = await startStandaloneServer({
      dataDir: join(logDir, 'onprem-replica'),
      ...CONSOLE_REPLICA,
      ...(onprem && { host: onprem.host, port: onprem.port }),
    });
    stops.unshift(() => replica.stop());
    out(
      `on-premise replica (for /seed-slave billing onprem) at ${replica.host}:${replica.port} (TLS only, CA ${replica.caFile})`,
    );
  }

  const users = [{ id: loaded.console.userId, name: loaded.console.userName }];
  for (const [id, name] of Object.entries(loaded.console.otherUsers)) users.push({ id, name });
  // The console makes up its Slack secrets: none is read from the environment.
  const signingSecret = randomBytes(32).toString('hex');
  const botToken = `xoxb-console-${randomBytes(12).toString('hex')}`;
  const appToken = `xapp-console-${randomBytes(12).toString('hex')}`;
  const slack = await startFakeSlackApi({
    users: Object.fromEntries(users.map((u) => [u.id, u.name])),
    // The restore shortcut shows times in the user's zone: the console's users live in this machine's.
    timeZones: Object.fromEntries(
      users.map((u) => [u.id, Intl.DateTimeFormat().resolvedOptions().timeZone]),
    ),
    channels: { [loaded.console.channelId]: loaded.console.channelName },
    appToken,
  });
  stops.push(() => slack.stop());
  config = {
    ...config,
    slack: { ...config.slack, mode: overSocket ? 'socket' : 'http', apiUrl: slack.url },
  };

  ensureConsoleAuditKey(config.audit.anchor, env);
  ensureConsoleQueueKey(config.queue.signingKeyEnv, env);
  const runtime = createRuntime(
    config,
    readSecrets(config, {
      ...env,
      [config.slack.signingSecretEnv]: signingSecret,
      [config.slack.botTokenEnv]: botToken,
      [config.slack.appTokenEnv]: appToken,
    }),
    logger,
    env,
  );
  // Console mode keeps every role in its one process (its config has no feeds).
  const worker = await startWorker(runtime, 'all');
  const bot = await startBot(runtime);
  stops.unshift(
    () => bot.stop(),
    () => worker.stop(),
    () => runtime.close(),
  );

  const session = new ConsoleSession({
    slack,
    deliver: overSocket
      ? socketModeDelivery(slack.socket)
      : signedHttpDelivery(`http://127.0.0.1:${bot.port}/slack/events`, signingSecret),
    socketMode: overSocket,
    users,
    channel: { id: loaded.console.channelId, name: loaded.console.channelName },
    write: out,
  });
  out(
    overSocket
      ? `bot connected to the console's Slack over Socket Mode; healthz and metrics on http://127.0.0.1:${bot.port}; you are ${session.currentUser.name}.`
      : `bot on http://127.0.0.1:${bot.port} (healthz, metrics); you are ${session.currentUser.name}.`,
  );
  out(session.help());

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  const showPrompt = () => {
    rl.setPrompt(`${session.currentUser.name}> `);
    rl.prompt();
  };
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    out('stopping…');
    for (const fn of stops)
      await fn().catch((error: unknown) => out(`stop: ${describeError(error)}`));
    process.exit(0);
  };
  // Lines are handled one at a time, in the order typed (or piped).
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      if (stopping) return;
      try {
        if ((await session.handleLine(line)) === 'quit') return void (await stop());
      } catch (error) {
        out(`error: ${describeError(error)}`);
      }
      showPrompt();
    });
  });
  rl.on('close', () => void queue.then(stop));
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  showPrompt();
}

main().catch((error: unknown) => {
  process.stderr.write(`opsdeck console: ${describeError(error)}\n`);
  process.exit(1);
});
