import { z } from 'zod';
import { envName } from './config-fields';
import { AccessConfig } from './access';
import { AuditConfig } from './audit';
import { AwsConfig } from './aws';
import { DatabasesConfig } from './databases';
import { DeployConfig } from './deploy';
import { PhzConfig } from './phz';
import { FeedsConfig } from './feeds';
import { RestoreTableConfig } from './restore-table';
import { ReplicasConfig, SeedSlaveConfig } from './seed-slave';

/**
 * The whole opsdeck configuration. Every section has defaults, so an empty file (or none, in
 * console mode) is a working local setup. Secrets never appear here: fields ending in `Env` name
 * the environment variable that holds the secret.
 */

const port = z.number().int().min(1).max(65535);
const durationMs = z.number().int().min(0);
const positiveMs = z.number().int().min(1);

/** Socket Mode's reconnecting (src/slack/socket-mode-receiver.ts). */
export const SocketModeConfig = z
  .strictObject({
    /** The wait before reconnecting a dropped connection; doubles per failed attempt, with jitter. */
    reconnectBaseMs: z.number().int().min(10).max(60_000).default(1000),
    /** The longest wait between attempts (and the wait after Slack sent `link_disabled`). */
    reconnectMaxMs: z.number().int().min(100).max(600_000).default(30_000),
  })
  .refine((c) => c.reconnectMaxMs >= c.reconnectBaseMs, {
    path: ['reconnectMaxMs'],
    message: 'must be at least reconnectBaseMs',
  });

export const SlackConfig = z.strictObject({
  /** http: Bolt's HTTP receiver (signed requests); socket: Socket Mode. */
  mode: z.enum(['http', 'socket']).default('http'),
  signingSecretEnv: envName.default('SLACK_SIGNING_SECRET'),
  botTokenEnv: envName.default('SLACK_BOT_TOKEN'),
  appTokenEnv: envName.default('SLACK_APP_TOKEN'),
  /** Override of the Web API base URL (ends with /api/); only for tests and console mode. */
  apiUrl: z.url().optional(),
  /** Where job messages go: a channel id (C0123...) or #name. */
  alertChannel: z.string().min(1).default('#devops_alert'),
  socket: SocketModeConfig.prefault({}),
});

export const HttpConfig = z.strictObject({
  host: z.string().default('0.0.0.0'),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(3000),
  /** Port of the worker's own /healthz and /metrics; 0 turns them off. */
  workerPort: z.number().int().min(0).max(65535).default(3001),
  /** The same for a worker with the feeds role (`worker --role feeds`); 0 turns them off. */
  feedsWorkerPort: z.number().int().min(0).max(65535).default(3002),
  /**
   * Basic-auth credentials for the queue dashboard at /admin/queues, which is read-only (no
   * dashboard when unset); they also show /healthz's error details. `admin`: a separate
   * credential for the dashboard that can change jobs (retry, remove, pause), at
   * /admin/queues-admin; none without it.
   */
  dashboard: z
    .strictObject({
      userEnv: envName,
      passwordEnv: envName,
      admin: z.strictObject({ userEnv: envName, passwordEnv: envName }).optional(),
    })
    .optional(),
});

export const RedisConfig = z.strictObject({
  url: z.string().default('redis://127.0.0.1:6380'),
  /** Name of an env var holding the password, if the server needs one. */
  passwordEnv: envName.optional(),
  /** Key prefix for every queue and every key opsdeck writes. */
  prefix: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/)
    .default('opsdeck'),
});

export const MysqlConfig = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: port.default(3307),
  user: z.string().default('root'),
  passwordEnv: envName.optional(),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/)
    .default('opsdeck'),
});

export const QueueConfig = z.strictObject({
  /** Runbook jobs run at once per worker process. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** A worker that stops renewing its lock for this long is considered dead. */
  lockDurationMs: positiveMs.default(30_000),
  stalledIntervalMs: positiveMs.default(30_000),
  /** How often a job may be found stalled (worker died) and resumed before it is failed. */
  maxStalledCount: z.number().int().min(0).default(5),
  /** Bounded wait for running jobs on SIGTERM/SIGINT before the process exits anyway. */
  shutdownTimeoutMs: positiveMs.default(30_000),
  retention: z
    .strictObject({
      completedAgeSeconds: z
        .number()
        .int()
        .min(0)
        .default(7 * 24 * 3600),
      completedCount: z.number().int().min(0).default(1000),
      failedAgeSeconds: z
        .number()
        .int()
        .min(0)
        .default(30 * 24 * 3600),
      failedCount: z.number().int().min(0).default(5000),
    })
    .prefault({}),
});

export const RunbookConfig = z.strictObject({
  defaultStepTimeoutMs: positiveMs.default(15 * 60_000),
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(100).default(5),
      baseDelayMs: positiveMs.default(1000),
      maxDelayMs: positiveMs.default(60_000),
    })
    .prefault({}),
  /** Minimum time between two progress lines of one step. */
  progressIntervalMs: durationMs.default(10_000),
});

export const NotifyConfig = z.strictObject({
  /** chat.postMessage: Slack allows about one message per second per channel. */
  postIntervalMs: durationMs.default(1100),
  /** chat.update is Tier 3 (about 50 per minute per workspace). */
  updateIntervalMs: durationMs.default(1200),
  /** Longer texts are split into several messages at line boundaries. */
  maxTextLength: z.number().int().min(200).max(40_000).default(3500),
  retryBaseDelayMs: positiveMs.default(1000),
  retryMaxDelayMs: positiveMs.default(60_000),
  /** Per-call timeout of the Web API client. */
  requestTimeoutMs: positiveMs.default(10_000),
});

export const NetworkConfig = z.strictObject({
  /**
   * The local address this process's connections to the configured databases and replicas leave
   * from (default: the system's choice). On a host with several addresses: the one the databases'
   * security groups admit (see `restoreTable.workerCidr`). Console mode and the tests give opsdeck
   * a loopback address of its own, so the sandbox's security groups can tell it from others.
   */
  sourceAddress: z.union([z.ipv4(), z.ipv6()]).optional(),
});

export const LogConfig = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const OpsdeckConfig = z
  .strictObject({
    slack: SlackConfig.prefault({}),
    http: HttpConfig.prefault({}),
    redis: RedisConfig.prefault({}),
    mysql: MysqlConfig.prefault({}),
    queue: QueueConfig.prefault({}),
    runbook: RunbookConfig.prefault({}),
    notify: NotifyConfig.prefault({}),
    log: LogConfig.prefault({}),
    network: NetworkConfig.prefault({}),
    aws: AwsConfig.prefault({}),
    access: AccessConfig.prefault({}),
    audit: AuditConfig.prefault({}),
    phz: PhzConfig.prefault({}),
    databases: DatabasesConfig,
    restoreTable: RestoreTableConfig.prefault({}),
    replicas: ReplicasConfig,
    seedSlave: SeedSlaveConfig.prefault({}),
    feeds: FeedsConfig.prefault({}),
    /** `/deploy`: apps, environments, targets, commands (none unless configured). */
    deploy: DeployConfig.optional(),
  })
  .refine(
    (c) =>
      Object.keys(c.databases).length === 0 ||
      c.restoreTable.workerCidr !== undefined ||
      c.restoreTable.workerSecurityGroupId !== undefined,
    {
      path: ['restoreTable'],
      message:
        'with databases configured, say where the workers connect from: workerCidr or workerSecurityGroupId',
    },
  )
  .superRefine((c, ctx) => {
    for (const [name, replica] of Object.entries(c.replicas)) {
      if (!Object.hasOwn(c.databases, replica.source))
        ctx.addIssue({
          code: 'custom',
          path: ['replicas', name, 'source'],
          message: `names ${replica.source}, which is not in \`databases\``,
        });
    }
  });

export type OpsdeckConfig = z.infer<typeof OpsdeckConfig>;
