import type IORedis from 'ioredis';
import type { OpsdeckConfig } from '../config/schema';
import { DeployHistory } from './deploy-history';
import { DeployLocks } from './deploy-lock';

/** What `/deploy` and its runbook share: the app+env locks (Redis) and the history (MySQL). */
export interface DeployServices {
  locks: DeployLocks;
  history: DeployHistory;
}

/** Only a config with a `deploy` section has them. */
export function createDeployServices(
  config: OpsdeckConfig,
  redis: IORedis,
  env: NodeJS.ProcessEnv,
): DeployServices | undefined {
  if (!config.deploy) return undefined;
  return {
    locks: new DeployLocks(redis, config.redis.prefix),
    history: DeployHistory.fromConfig(config, env),
  };
}
