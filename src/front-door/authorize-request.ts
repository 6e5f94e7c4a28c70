import {
  authorize,
  userGroupsNamed,
  type AccessDecision,
  type AccessRequest,
} from '../approvals/access-policy';
import { USER_GROUP_LOOKUP_MS, type UserGroupLookup } from '../slack/user-group-membership';
import type { AckBudget } from './ack-budget';
import type { FrontDoorDeps } from './front-door-deps';
import type { ParsedRequest } from './parse-request';

/** Stage 2: the request under the access rules, as the real Slack user and channel ask it. */
export interface AuthorizedRequest {
  request: AccessRequest;
  decision: AccessDecision;
  /** The user's Slack user groups as far as Slack answered in time. */
  groups: UserGroupLookup;
}

/** Looks up the user's groups (bounded by the ack budget) and asks the policy; changes nothing. */
export async function authorizeRequest(
  deps: Pick<FrontDoorDeps, 'config' | 'userGroups'>,
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
  };
  return { request, decision: authorize(deps.config.access, request), groups };
}
