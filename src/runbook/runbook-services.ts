import type { RedisClient } from '../redis-client';
import type { CancelRequests } from '../queue/cancellation';
import type { ApprovalStore } from '../access/approval-store';
import type { AuditWriter } from '../audit/audit-writer';
import type { AwsClients } from '../aws/clients';
import type { OpsdeckConfig } from '../config/schema';
import type { DeployServices } from '../deploy/deploy-services';
import type { DatabaseAccess } from '../mysql/database-access';
import type { MessageSink } from '../notify/job-thread-observer';
import type { UserGroupMembership } from '../slack/user-group-membership';

/** What runbooks may use, built once per worker process. */
export interface RunbookServices {
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
  /** For approvals asked for mid-run (`ctx.requestApproval`): the store the clicks decide in, */
  approvals: ApprovalStore;
  /** the outbox that posts the plan with its buttons, */
  outbox: MessageSink;
  /** the audit trail (approval-requested, expired), */
  audit: Pick<AuditWriter, 'recordJobEvent'>;
  /** the requester's Slack user groups, for rules that name them, */
  userGroups: Pick<UserGroupMembership, 'lookUp'>;
  /** and who cancelled a job (an approval it waited for is withdrawn in their name). */
  cancels: Pick<CancelRequests, 'requestedBy'>;
}
