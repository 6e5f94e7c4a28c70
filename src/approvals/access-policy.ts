import type { AccessConfig, AccessRule } from '../config/access';
import { matchPattern } from './pattern';
import { join, md, mention, type Mrkdwn } from '../slack/mrkdwn';

/**
 * The access decision, pure: the same config and request always give the same answer. The
 * front door calls `authorize` before planning a command and again (through
 * `authorizeApprovalDecision`) when someone clicks Approve or Reject.
 */

export interface AccessRequest {
  /** The command as named in the rules: `restore-table`, `ops ping`. */
  command: string;
  /** Database, app/env or zone, when the command has one. */
  target?: string;
  /** Set by the command module for requests that change nothing (status, list, show). */
  readOnly?: boolean;
  userId: string;
  channelId: string;
  /** Channel name without `#`, when known; rules may name channels by `#name`. */
  channelName?: string;
  /** Slack user groups (S...) the user is in, when the caller resolved them. */
  userGroupIds?: readonly string[];
}

export interface RequiredApproval {
  group: string;
  distinct: boolean;
  ttlMs: number;
}

export interface AccessAllowed {
  allowed: true;
  /** Position of the granting rule in `access.rules`, for the audit trail. */
  ruleIndex: number;
  rule: AccessRule;
  approval?: RequiredApproval;
}

export type DenialReason = 'no-rule' | 'not-in-group' | 'wrong-channel';

export interface AccessDenied {
  allowed: false;
  reason: DenialReason;
  /** What is missing, in one sentence, for the ephemeral reply and the audit trail. */
  message: string;
  /** Groups whose members can grant this (run it, approve it, or change the policy). */
  askGroups: string[];
  /** Slack user ids of those groups' listed members. */
  contacts: string[];
}

export type AccessDecision = AccessAllowed | AccessDenied;

const MINUTE_MS = 60_000;

export function authorize(policy: AccessConfig, request: AccessRequest): AccessDecision {
  const what = describeRequest(request);
  const usable = indexed(policy.rules).filter(
    ([rule]) => !rule.readOnly || request.readOnly === true,
  );
  const forCommand = usable.filter(([rule]) => matchPattern(rule.command, request.command));
  const forMode = forCommand.filter(([rule]) => targetMatches(rule, request.target));
  if (forMode.length === 0) {
    const readOnlyOnly = policy.rules.some(
      (rule) =>
        rule.readOnly &&
        matchPattern(rule.command, request.command) &&
        targetMatches(rule, request.target),
    );
    const missing = readOnlyOnly
      ? `the access rules for ${what} grant read-only use; none allows a change`
      : forCommand.length === 0
        ? `no access rule covers \`${request.command}\``
        : request.target === undefined
          ? `the access rules for \`${request.command}\` all name targets, and none was given`
          : `no access rule covers ${what}`;
    return deny(policy, 'no-rule', missing, adminGroups(policy));
  }
  const asMember = forMode.filter(([rule]) =>
    rule.groups.some((group) => isMember(policy, group, request.userId, request.userGroupIds)),
  );
  if (asMember.length === 0) {
    const groups = unique(forMode.flatMap(([rule]) => rule.groups));
    return deny(
      policy,
      'not-in-group',
      `${what} is allowed to ${plural(groups, 'group')} ${groups.join(', ')}; you are in none of them`,
      groups,
    );
  }
  const fromChannel = asMember.filter(([rule]) => channelMatches(rule, request));
  const granted = fromChannel[0];
  if (!granted) {
    const channels = unique(asMember.flatMap(([rule]) => rule.channels ?? []));
    return deny(
      policy,
      'wrong-channel',
      `${what} may be run only from ${channels.join(', ')}`,
      adminGroups(policy),
    );
  }
  const [rule, ruleIndex] = granted;
  return {
    allowed: true,
    rule,
    ruleIndex,
    ...(rule.approval && {
      approval: {
        group: rule.approval.group,
        distinct: rule.approval.distinct,
        ttlMs: (rule.approval.ttlMinutes ?? policy.approvalTtlMinutes) * MINUTE_MS,
      },
    }),
  };
}

export interface ApprovalClick {
  /** The request as it was when the approval was asked for. */
  request: AccessRequest;
  /** The approval requirement stored with the approval. */
  requirement: { group: string; distinct: boolean };
  approverId: string;
  approverGroupIds?: readonly string[];
  decision: 'approve' | 'reject';
}

export type ApprovalClickDecision =
  | { ok: true }
  | { ok: false; reason: 'self-approval' | 'not-approver' | 'no-longer-allowed'; message: string };

/**
 * Checks a click on Approve/Reject against the policy as it is now (it may have changed since
 * the request). Approving needs: the request still allowed, the clicker in the approval group
 * of the rule that allows it now (and of the stored requirement), and, where either requires
 * it, someone other than the requester. The requester may always reject (withdraw) their own
 * request; others need to be in the approval group.
 */
export function authorizeApprovalDecision(
  policy: AccessConfig,
  click: ApprovalClick,
): ApprovalClickDecision {
  const { request, requirement, approverId, approverGroupIds } = click;
  const inStoredGroup = isMember(policy, requirement.group, approverId, approverGroupIds);
  if (click.decision === 'reject') {
    return approverId === request.userId || inStoredGroup
      ? { ok: true }
      : notApprover(requirement.group);
  }
  const now = authorize(policy, request);
  if (!now.allowed) {
    return {
      ok: false,
      reason: 'no-longer-allowed',
      message: `the request is no longer allowed: ${now.message}`,
    };
  }
  const distinct = requirement.distinct || now.approval?.distinct === true;
  if (distinct && approverId === request.userId) {
    return {
      ok: false,
      reason: 'self-approval',
      message: 'this request needs approval by someone other than the requester',
    };
  }
  if (!inStoredGroup) return notApprover(requirement.group);
  if (now.approval && !isMember(policy, now.approval.group, approverId, approverGroupIds)) {
    return notApprover(now.approval.group);
  }
  return { ok: true };
}

/** The ephemeral reply to a refused request: what is missing and who to ask. */
export function describeDenial(denied: AccessDenied): Mrkdwn {
  const groups = `${plural(denied.askGroups, 'group')} ${denied.askGroups.join(', ')}`;
  const ask =
    denied.contacts.length > 0
      ? md`Ask ${join(denied.contacts.map(mention), ', ')} (${groups}).`
      : denied.askGroups.length > 0
        ? md`Ask a member of ${groups}.`
        : md`No one is named to ask: the access policy has no admins group.`;
  return md`Refused: ${denied.message}. ${ask}`;
}

export function isMember(
  policy: AccessConfig,
  groupName: string,
  userId: string,
  userGroupIds: readonly string[] = [],
): boolean {
  const group = Object.hasOwn(policy.groups, groupName) ? policy.groups[groupName] : undefined;
  if (!group) return false;
  return group.users.includes(userId) || group.usergroups.some((id) => userGroupIds.includes(id));
}

/** Every Slack user group (S...) the policy's groups name: the only ones worth looking up. */
export function userGroupsNamed(policy: AccessConfig): string[] {
  return unique(Object.values(policy.groups).flatMap((group) => group.usergroups));
}

function targetMatches(rule: AccessRule, target: string | undefined): boolean {
  if (rule.targets === undefined) return target === undefined;
  return target !== undefined && rule.targets.some((pattern) => matchPattern(pattern, target));
}

function channelMatches(rule: AccessRule, request: AccessRequest): boolean {
  if (rule.channels === undefined) return true;
  const name = request.channelName?.replace(/^#/, '');
  return rule.channels.some((channel) =>
    channel.startsWith('#')
      ? name !== undefined && channel.slice(1) === name
      : channel === request.channelId,
  );
}

function deny(
  policy: AccessConfig,
  reason: DenialReason,
  message: string,
  askGroups: string[],
): AccessDenied {
  const contacts = unique(
    askGroups.flatMap((name) =>
      Object.hasOwn(policy.groups, name) ? policy.groups[name]!.users : [],
    ),
  );
  return { allowed: false, reason, message, askGroups, contacts };
}

function notApprover(group: string): ApprovalClickDecision {
  return {
    ok: false,
    reason: 'not-approver',
    message: `only members of group ${group} may decide this`,
  };
}

function adminGroups(policy: AccessConfig): string[] {
  return policy.admins === undefined ? [] : [policy.admins];
}

function describeRequest(request: AccessRequest): string {
  return request.target === undefined
    ? `\`${request.command}\``
    : `\`${request.command}\` on \`${request.target}\``;
}

function indexed<T>(items: readonly T[]): [T, number][] {
  return items.map((item, i) => [item, i]);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function plural(items: unknown[], word: string): string {
  return items.length === 1 ? word : `${word}s`;
}
