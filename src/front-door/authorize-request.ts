import {
  authorize,
  authorizeJobCommand,
  jobAccessTarget,
  userGroupsNamed,
  type AccessDecision,
  type AccessRequest,
} from '../approvals/access-policy';
import { USER_GROUP_LOOKUP_MS, type UserGroupLookup } from '../slack/user-group-membership';
import type { AckBudget } from './ack-budget';
import { findJob } from './find-job';
import type { FrontDoorDeps } from './front-door-deps';
import type { ParsedRequest } from './parse-request';

/** Stage 2: the request under the access rules, as the real Slack user and channel ask it. */
export interface AuthorizedRequest {
  request: AccessRequest;
  decision: AccessDecision;
  /** The user's Slack user groups as far as Slack answered in time. */
  groups: UserGroupLookup;
  /** For a command on a job that neither the queue nor the audit trail knows: its id. */
  unknownJob?: string;
}

/**
 * Looks up the user's groups (bounded by the ack budget) and asks the policy; for a command on a
 * job, against the job's own command and target (JOB_ACCESS). Changes nothing.
 */
export async function authorizeRequest(
  deps: Pick<FrontDoorDeps, 'config' | 'userGroups' | 'jobs' | 'auditStore'>,
  parsed: ParsedRequest,
  budget: AckBudget,
): Promise<AuthorizedRequest> {
  const { requester, target } = parsed;
  const groups = await deps.userGroups.lookUp(
    requester.userId,
    userGroupsNamed(deps.config.access),
    Math.min(USER_GROUP_LOOKUP_MS, budget.remaining()),
  );
  const request: AccessRequest = {
    command: parsed.command,
    ...(target !== undefined && { target }),
    readOnly: parsed.subcommand.readOnly === true,
    userId: requester.userId,
    channelId: requester.channelId,
    channelName: requester.channelName,
    ...(groups.memberOf.length > 0 && { userGroupIds: groups.memberOf }),
    ...(parsed.emergency !== undefined && { emergency: true }),
  };
  const onJob = parsed.subcommand.job;
  if (onJob) {
    const job = await budget.bound(findJob(deps, onJob.id(parsed.input)), 'the job lookup');
    if (!job) {
      const unknownJob = onJob.id(parsed.input);
      return { request, decision: authorize(deps.config.access, request), groups, unknownJob };
    }
    // Cancelling is recorded with the job's command and target as its access target.
    const asked =
      onJob.access === 'cancel' ? { ...request, target: jobAccessTarget(job) } : request;
    return {
      request: asked,
      decision: authorizeJobCommand(deps.config.access, request, job, onJob.access),
      groups,
    };
  }
  return { request, decision: authorize(deps.config.access, request), groups };
}
