import type { RedisClient } from '../util/redis-client';
import type { Pool } from 'mysql2/promise';
import type { OpsdeckConfig } from '../config/schema';
import { DeployHistory } from './deploy-history';
import { DeployLocks } from './deploy-lock';
import { DeployWaitingLine } from './deploy-waiting-line';

/**
 * What `/deploy` and its runbook share: the app+env locks and the line waiting for them (Redis),
 * and the history (MySQL).
 */
export interface DeployServices {
  locks: DeployLocks;
  /** Deploys queued behind a lock (`--queue`). */
  waiting: DeployWaitingLine;
  history: DeployHistory;
}

/**
 * Only a config with a `deploy` section has them. The history lives on opsdeck's own MySQL
 * (`mysql`), through the process's pool: in opsdeck's database unless `deploy.history` names another.
 */
export function createDeployServices(
  config: OpsdeckConfig,
  redis: RedisClient,
  mysqlPool: Pool,
): DeployServices | undefined {
  if (!config.deploy) return undefined;
  return {
    locks: new DeployLocks(redis, config.redis.prefix),
    waiting: new DeployWaitingLine(redis, config.redis.prefix),
    history: new DeployHistory(mysqlPool, {
      database: config.deploy.history.database ?? config.mysql.database,
      table: config.deploy.history.table,
    }),
  };
}
