import type IORedis from 'ioredis';
import type { AwsClients } from '../aws/clients';
import type { OpsdeckConfig } from '../config/schema';

/** What runbooks may use, built once per worker process. */
export interface RunbookServices {
  config: OpsdeckConfig;
  redis: IORedis;
  /** The configured Redis key prefix; keys a runbook writes live under it. */
  redisPrefix: string;
  /** RDS, EC2 and Route53 clients (`aws` config: real AWS, or the sandbox by endpoint). */
  aws: AwsClients;
}
