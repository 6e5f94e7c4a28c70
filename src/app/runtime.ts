import { EmergencyReviews } from '../approvals/emergency-reviews';
import { Queue } from 'bullmq';
import type mysql from 'mysql2/promise';
import type { RedisClient } from '../util/redis-client';
import { AuditStore } from '../audit/audit-store';
import { AuditWriter } from '../audit/audit-writer';
import { createAwsClients, type AwsClients } from '../aws/clients';
import type { OpsdeckConfig } from '../config/schema';
import type { Secrets } from '../config/secrets';
import { createDeployServices, type DeployServices } from '../deploy/deploy-services';
import type { Logger } from '../log/logger';
import { loadMysqlTls } from '../mysql/connection-tls';
import { DatabaseAccess } from '../mysql/database-access';
import { createMysqlPool } from '../mysql/mysql-pool';
import { Outbox } from '../notify/outbox';
import type { DrainJobData } from '../notify/outbox-keys';
import { CancelRequests } from '../queue/cancellation';
import type { JobEnvelope } from '../runbook/job-envelope';
import { JobStore } from '../queue/job-store';
import { QueueName } from '../queue/queue-names';
import { redisConnector } from './redis-connection';

/**
 * The connections and queues a process shares between its parts, created once from the
 * validated config. `close` releases all of them.
 */
export interface Runtime {
  config: OpsdeckConfig;
  secrets: Secrets;
  /** The environment secrets are read from (the audit signing key, by workers). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** For BullMQ workers and blocking commands: never gives up on a request. */
  redis: RedisClient;
  /** For the front door: fails fast when Redis is down, so the user hears it within 3 s. */
  redisFast: RedisClient;
  opsQueue: Queue<JobEnvelope, unknown, string>;
  notifyQueue: Queue<DrainJobData>;
  jobs: JobStore;
  cancels: CancelRequests;
  outbox: Outbox;
  mysqlPool: mysql.Pool;
  /** The audit trail (its own pool: the audit account may differ from `mysql.user`). */
  auditStore: AuditStore;
  /** Writes to the audit trail: fail closed for requests, spooled and retried for job events. */
  auditWriter: AuditWriter;
  /** RDS, EC2, Route53 and S3 clients from the `aws` config (credentials from `env`). */
  aws: AwsClients;
  /** The configured databases (`databases`), with their passwords from the environment. */
  databases: DatabaseAccess;
  /** `/deploy`'s locks and history, with a `deploy` config section. */
  deploys?: DeployServices;
  /** The reviews of emergencies that ran without their approval (break glass). */
  reviews: EmergencyReviews;
  newRedisConnection(): RedisClient;
  close(): Promise<void>;
}

export function createRuntime(
  config: OpsdeckConfig,
  secrets: Secrets,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Runtime {
  const prefix = config.redis.prefix;
  const newRedisConnection = redisConnector(config.redis, secrets);
  const redis = newRedisConnection();
  const redisFast = newRedisConnection({ fast: true });
  for (const [name, connection] of [
    ['redis', redis],
    ['redis-fast', redisFast],
  ] as const) {
    connection.on('error', (error) =>
      logger.warn({ err: error, connection: name }, 'redis connection error'),
    );
  }
  const opsQueue = new Queue<JobEnvelope, unknown, string>(QueueName.Ops, {
    connection: redisFast,
    prefix,
  });
  const notifyQueue = new Queue<DrainJobData>(QueueName.Notify, { connection: redis, prefix });
  const cancels = new CancelRequests(redisFast, prefix, secrets.workSigner);
  const mysqlPool = createMysqlPool(
    {
      name: 'mysql',
      host: config.mysql.host,
      port: config.mysql.port,
      user: config.mysql.user,
      ...(secrets.mysqlPassword ? { password: secrets.mysqlPassword } : {}),
      tls: loadMysqlTls('mysql', config.mysql.tls),
    },
    { connectionLimit: 4, connectTimeout: 5000 },
  );
  const auditStore = AuditStore.fromConfig(config, env);
  const aws = createAwsClients(config.aws, env);
  const auditWriter = new AuditWriter(auditStore, redis, {
    prefix,
    retryBaseDelayMs: config.audit.retryBaseDelayMs,
    retryMaxDelayMs: config.audit.retryMaxDelayMs,
    logger,
    signer: secrets.workSigner,
  });
  const deploys = createDeployServices(config, redis, mysqlPool);
  return {
    config,
    secrets,
    env,
    logger,
    redis,
    redisFast,
    opsQueue,
    notifyQueue,
    jobs: new JobStore(opsQueue, cancels, config.queue.retention, secrets.workSigner),
    cancels,
    outbox: new Outbox(redis, prefix, notifyQueue, secrets.workSigner, {
      maxTextLength: config.notify.maxTextLength,
    }),
    databases: new DatabaseAccess(
      config.databases,
      secrets.databasePasswords,
      config.replicas,
      secrets.replicaPasswords,
      config.network.sourceAddress,
    ),
    mysqlPool,
    auditStore,
    auditWriter,
    aws,
    ...(deploys && { deploys }),
    reviews: new EmergencyReviews(redis, prefix, secrets.workSigner),
    newRedisConnection: () => newRedisConnection(),
    async close() {
      await auditWriter.stop();
      await Promise.allSettled([
        opsQueue.close(),
        notifyQueue.close(),
        mysqlPool.end(),
        auditStore.close(),
      ]);
      for (const client of Object.values(aws)) client.destroy();
      redis.disconnect();
      redisFast.disconnect();
    },
  };
}
