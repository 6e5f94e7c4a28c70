import { WebClient } from '@slack/web-api';
import { ApprovalStore } from '../approvals/approval-store';
import { migrateAtStartup } from '../audit/migrate-at-startup';
import { FeedStateStore } from '../feeds/feed-state-store';
import { BinlogClock } from '../replicas/binlog-clock';
import { checkReplica } from '../replicas/check-replica';
import { HealthSnapshots } from '../replicas/health-snapshots';
import { MuteStore } from '../replicas/incident-store';
import { resolveFeeds } from '../config/feeds';
import { NotReady, createOpsRouter } from '../http/ops-routes';
import { registerQueueGauges } from '../queue/queue-gauges';
import { startApprovalExpiry } from '../approvals/approval-flow';
import { createSlackFrontDoor, type SlackFrontDoor } from '../front-door/slack-front-door';
import type { FrontDoorDeps } from '../front-door/handle-slash-command';
import { describeSocketModeHealth } from '../slack/socket-mode-receiver';
import { UserGroupMembership } from '../slack/user-group-membership';
import type { Runtime } from './runtime';
import { loadCommands } from './load-modules';

export interface RunningBot {
  port: number;
  stop(): Promise<void>;
}

/** `/ops feeds` reads the state the workers keep, through the fail-fast connection. */
function feedStatus(runtime: Runtime): FrontDoorDeps['feeds'] {
  const states = new FeedStateStore(runtime.redisFast, runtime.config.redis.prefix);
  return {
    list: resolveFeeds(runtime.config.feeds, runtime.config.slack.alertChannel),
    read: (feed) => states.read(feed),
  };
}

/** `/seed-slave status` checks a replica as the watch does; `/ops replicas` reads the watch's last check. */
function replicaHealth(runtime: Runtime): FrontDoorDeps['replicas'] {
  const { config } = runtime;
  const snapshots = new HealthSnapshots(runtime.redisFast, config.redis.prefix);
  const mutes = new MuteStore(runtime.redisFast, config.redis.prefix);
  const probe = {
    databases: runtime.databases,
    rds: runtime.aws.rds,
    clock: new BinlogClock(runtime.redisFast, config.redis.prefix),
    // A command answers within Slack's time: shorter than the watch's own checks.
    connectTimeoutMs: Math.min(config.replicaWatch.connectTimeoutMs, 2000),
  };
  return {
    check: (replica) => checkReplica(replica, probe, config.replicaWatch),
    last: (replica) => snapshots.read(replica),
    mute: (replica, mute) => mutes.mute(replica, mute),
  };
}

export interface BotOptions {
  /** How often expired approvals are looked for (their messages edited, `expired` audited). */
  approvalSweepMs?: number;
  /** How often the audit migrations are tried again while they fail (default 10 s). */
  migrationRetryMs?: number;
}

/**
 * The front door: Bolt (HTTP or Socket Mode) plus /healthz, /metrics and the dashboard; the
 * audit migrations at startup and the expiry of approvals.
 */
export async function startBot(runtime: Runtime, options: BotOptions = {}): Promise<RunningBot> {
  const { config, secrets, logger } = runtime;
  const migrations = await migrateAtStartup(runtime.auditStore, logger, options.migrationRetryMs);
  runtime.auditWriter.start();
  const slack = new WebClient(secrets.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: 2000,
  });
  let slackCheckedAt = 0;
  // The front door takes the ops router, whose Slack check asks the front door: filled in below.
  const late: { frontDoor?: SlackFrontDoor } = {};
  registerQueueGauges([runtime.opsQueue, runtime.notifyQueue]);
  const opsRouter = createOpsRouter({
    checks: {
      redis: () => runtime.redisFast.ping(),
      mysql: () => runtime.mysqlPool.query('SELECT 1'),
      // The audit schema in place (and the database: the statements to run when it is missing).
      audit: migrations.check,
      slack: async () => {
        // In Socket Mode no command arrives while the socket is down, whatever auth.test says.
        const socket = late.frontDoor?.socketHealth?.();
        const notConnected = socket && describeSocketModeHealth(socket);
        if (notConnected) throw new NotReady(notConnected);
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
  const deps: FrontDoorDeps = {
    commands: loadCommands(),
    jobs: runtime.jobs,
    config,
    logger,
    approvals: new ApprovalStore(runtime.redis, config.redis.prefix, secrets.workSigner),
    audit: runtime.auditWriter,
    auditStore: runtime.auditStore,
    userGroups: new UserGroupMembership(slack, runtime.redisFast, config.redis.prefix, {
      cacheSeconds: config.access.userGroupCacheSeconds,
      logger,
    }),
    aws: runtime.aws,
    databases: runtime.databases,
    ...(runtime.deploys && { deploys: runtime.deploys }),
    outbox: runtime.outbox,
    reviews: runtime.reviews,
    feeds: feedStatus(runtime),
    replicas: replicaHealth(runtime),
  };
  const frontDoor = createSlackFrontDoor({ deps, secrets, opsRouter, logger });
  late.frontDoor = frontDoor;
  const stopExpiry = startApprovalExpiry(deps, options.approvalSweepMs ?? 10_000);
  const port = await frontDoor.start();
  logger.info({ port, mode: config.slack.mode }, 'bot listening');
  return {
    port,
    async stop() {
      stopExpiry();
      migrations.stop();
      await frontDoor.stop();
    },
  };
}
