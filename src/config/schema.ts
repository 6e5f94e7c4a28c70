import { z } from 'zod';
import { envName, mysqlTls } from './config-fields';
import { AccessConfig } from './access';
import { AuditConfig } from './audit';
import { AwsConfig } from './aws';
import { DatabasesConfig } from './databases';
import { DeployConfig } from './deploy';
import { PhzConfig } from './phz';
import { FeedsConfig } from './feeds';
import { RestoreTableConfig } from './restore-table';
import { ReplicaWatchConfig } from './replica-watch';
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

/** `host:port`, as Sentinel and Cluster nodes are listed (`[v6 address]:port` for IPv6). */
const hostPort = z
  .string()
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([1-9][0-9]{0,4})$/,
    'must be host:port (e.g. 10.0.0.1:26379)',
  )
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'port above 65535');

export const RedisConfig = z
  .strictObject({
    /**
     * One Redis server (default redis://127.0.0.1:6380), or a managed endpoint that fails over
     * behind one name. Not with `sentinels`.
     */
    url: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port or rediss://host:port (TLS)')
      .optional(),
    /** Name of an env var holding the password, if the server needs one (AUTH, or an ACL user's). */
    passwordEnv: envName.optional(),
    /** Name of an env var holding the ACL user name (Redis 6+ `ACL SETUSER`); `default` when unset. */
    usernameEnv: envName.optional(),
    /**
     * With a `rediss://` url: a CA bundle (PEM file) to check the server's certificate against,
     * instead of the system's. The server's name is always checked against the url's host.
     */
    tls: z.strictObject({ caFile: z.string().min(1).optional() }).optional(),
    /**
     * Redis Sentinel: the sentinels (`host:port`, at least one; list all of them) that watch
     * `masterName`. Every connection asks them for the current primary and follows a failover.
     */
    sentinels: z.array(hostPort).min(1).optional(),
    /** The name the sentinels monitor the primary under (`sentinel monitor <name> ...`). */
    masterName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
    /** Name of an env var holding the sentinels' own password (`requirepass` on the sentinels). */
    sentinelPasswordEnv: envName.optional(),
    /**
     * Redis Cluster: some of its nodes (`host:port`); the rest are found from them. Needs a
     * hash-tag `prefix`. Not with `url` or `sentinels`.
     */
    cluster: z.array(hostPort).min(1).optional(),
    /**
     * Key prefix for every queue and every key opsdeck writes. `{opsdeck}` (a hash tag) puts
     * every key in one slot, as BullMQ needs on Redis Cluster.
     */
    prefix: z
      .string()
      .regex(
        /^([a-zA-Z0-9_-]+|\{[a-zA-Z0-9_-]+\})$/,
        'letters, digits, _ and -, or a hash tag such as {opsdeck}',
      )
      .default('opsdeck'),
  })
  .refine(
    (r) => [r.url, r.sentinels, r.cluster].filter((given) => given !== undefined).length <= 1,
    { path: ['url'], message: 'give one of url, sentinels or cluster' },
  )
  .refine((r) => r.cluster === undefined || /^\{.+\}$/.test(r.prefix), {
    path: ['prefix'],
    message:
      "with cluster, must be a hash tag such as '{opsdeck}': BullMQ needs each queue's keys in one slot",
  })
  .refine((r) => (r.sentinels === undefined) === (r.masterName === undefined), {
    path: ['masterName'],
    message: 'sentinels and masterName go together',
  })
  .refine((r) => r.sentinels !== undefined || r.sentinelPasswordEnv === undefined, {
    path: ['sentinelPasswordEnv'],
    message: 'only with sentinels',
  })
  .refine((r) => r.tls === undefined || r.url?.startsWith('rediss://') === true, {
    path: ['tls'],
    message: 'only with a rediss:// url (TLS); without it the connection would not be encrypted',
  });

export type RedisConfig = z.infer<typeof RedisConfig>;

/** Where Redis is when the config says nothing: the local service of scripts/local-services.sh. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6380';

export const MysqlConfig = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: port.default(3307),
  user: z.string().default('root'),
  passwordEnv: envName.optional(),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/)
    .default('opsdeck'),
  /** TLS to this server (also the audit store's): verify-identity unless set otherwise. */
  tls: mysqlTls.prefault({}),
});

export const QueueConfig = z.strictObject({
  /** Runbook jobs run at once per worker process. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** A worker that stops renewing its lock for this long is considered dead. */
  lockDurationMs: positiveMs.default(30_000),
  stalledIntervalMs: positiveMs.default(30_000),
  /** How often a job may be found stalled (worker died) and resumed before it is failed. */
  maxStalledCount: z.number().int().min(0).default(5),
  /**
   * The env var holding the key every process signs and checks queued work with (jobs,
   * checkpoints, approvals and their decisions, cancel requests, outbox and audit spool entries):
   * at least 32 characters, the same in the bot and every worker.
   */
  signingKeyEnv: envName.default('OPSDECK_QUEUE_KEY'),
  /** While keys are rotated: the env var holding the key being replaced (checked, never used to sign). */
  previousSigningKeyEnv: envName.optional(),
  /** A job signed longer ago than this is refused when it first starts (a replayed job, a lost day). */
  signedJobMaxAgeHours: z.number().positive().max(720).default(24),
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
    replicaWatch: ReplicaWatchConfig.prefault({}),
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
