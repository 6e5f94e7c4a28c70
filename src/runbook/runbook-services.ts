import type IORedis from 'ioredis';
import type { OpsdeckConfig } from '../config/schema';

/** What runbooks may use, built once per worker process. */
export interface RunbookServices {
  config: OpsdeckConfig;
  redis: IORedis;
  /** The configured Redis key prefix; keys a runbook writes live under it. */
  redisPrefix: string;
}
