import { WebClient } from '@slack/web-api';
import type { FrontDoorDeps } from '../front-door/front-door-deps';
import { homeFactsReader } from '../home/home-facts';
import { HomePublisher, type HomePublisherOptions } from '../home/home-publisher';
import { watchJobStates } from '../queue/job-state-events';
import type { Runtime } from './runtime';

/**
 * The Home tab's publisher for the bot process: it reads what the commands read (the front
 * door's stores), publishes with a WebClient of its own that surfaces rate limits instead of
 * waiting on its own (the publisher honours Retry-After), and hears of job state changes from
 * every worker through BullMQ's events.
 */
export function startAppHome(
  runtime: Runtime,
  deps: FrontDoorDeps,
  options: Partial<HomePublisherOptions> = {},
): { publisher: HomePublisher; stop(): Promise<void> } {
  const { config, logger } = runtime;
  const slack = new WebClient(runtime.secrets.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 5000,
  });
  const sources = {
    access: config.access,
    jobs: deps.jobs,
    approvals: deps.approvals,
    ...(deps.deploys && { locks: deps.deploys.locks }),
    replicas: {
      names: () => deps.databases.replicaNames(),
      last: (replica: string) => deps.replicas.last(replica),
    },
    feeds: deps.feeds,
    userGroups: deps.userGroups,
  };
  const publisher = new HomePublisher(
    homeFactsReader(sources),
    async (userId, view) => {
      await slack.views.publish({ user_id: userId, view });
    },
    logger,
    options,
  );
  publisher.start();
  const jobStates = watchJobStates(
    runtime.redis,
    config.redis.prefix,
    () => publisher.changed(),
    (error) => logger.warn({ err: error }, 'home: job events connection error'),
  );
  return {
    publisher,
    async stop() {
      await publisher.stop();
      await jobStates.close();
    },
  };
}
