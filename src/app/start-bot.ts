import { WebClient } from '@slack/web-api';
import { loadCommands } from '../command/command-registry';
import { createOpsRouter } from '../http/ops-routes';
import { createSlackFrontDoor } from '../slack/create-slack-front-door';
import type { Runtime } from './runtime';

export interface RunningBot {
  port: number;
  stop(): Promise<void>;
}

/** The front door: Bolt (HTTP or Socket Mode) plus /healthz, /metrics and the dashboard. */
export async function startBot(runtime: Runtime): Promise<RunningBot> {
  const { config, secrets, logger } = runtime;
  const slack = new WebClient(secrets.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: 2000,
  });
  let slackCheckedAt = 0;
  const opsRouter = createOpsRouter({
    checks: {
      redis: () => runtime.redisFast.ping(),
      mysql: () => runtime.mysqlPool.query('SELECT 1'),
      slack: async () => {
        // auth.test is Tier 4; one call per 30 s is plenty for a health check.
        if (Date.now() - slackCheckedAt < 30_000) return;
        await slack.auth.test();
        slackCheckedAt = Date.now();
      },
    },
    ...(secrets.dashboard
      ? { dashboard: { queues: [runtime.opsQueue, runtime.notifyQueue], ...secrets.dashboard } }
      : {}),
  });
  const frontDoor = createSlackFrontDoor({
    deps: { commands: loadCommands(), jobs: runtime.jobs, config, logger },
    secrets,
    opsRouter,
    logger,
  });
  const port = await frontDoor.start();
  logger.info({ port, mode: config.slack.mode }, 'bot listening');
  return { port, stop: () => frontDoor.stop() };
}
