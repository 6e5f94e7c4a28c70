import type { RedisClient } from '../util/redis-client';
import type { AwsClients } from '../aws/clients';
import { isTransientAwsError } from '../aws/transient-errors';
import type { OpsdeckConfig } from '../config/schema';
import type { DeployServices } from '../deploy/deploy-services';
import type { DatabaseAccess } from '../mysql/database-access';
import { isTransientMysqlError } from '../mysql/transient-errors';
import type { CancelRequests } from '../queue/cancellation';
import { isTransientNetworkError } from '../util/network-errors';

/**
 * What runbooks may use (`ctx.services`), composed here, where the app is put together: the
 * engine declares `RunbookServices` empty and knows none of it.
 */
declare module '../runbook/runbook-services' {
  interface RunbookServices {
    config: OpsdeckConfig;
    redis: RedisClient;
    /** The configured Redis key prefix; keys a runbook writes live under it. */
    redisPrefix: string;
    /** RDS, EC2 and Route53 clients (`aws` config: real AWS, or the sandbox by endpoint). */
    aws: AwsClients;
    /** Connections to the configured databases (and instances restored from them). */
    databases: DatabaseAccess;
    /** `/deploy`'s locks and history (with a `deploy` config section). */
    deploys?: DeployServices;
    /** Who cancelled a job, for runbooks that say so. */
    cancels: Pick<CancelRequests, 'requestedBy'>;
  }
}

/** The adapters' own classifiers of transient errors, for the engine's retries. */
export function isTransientError(error: unknown): boolean {
  return (
    isTransientNetworkError(error) || isTransientAwsError(error) || isTransientMysqlError(error)
  );
}
