import type { AccessConfig, AccessRule } from '../config/access';
import { matchPattern } from './pattern';
import { join, md, mention, type Mrkdwn } from '../slack/mrkdwn';

/**
 * The access decision, pure: the same config and request always give the same answer. The
 * front door calls `authorize` before planning a command and again (through
 * `authorizeApprovalDecision`) when someone clicks Approve or Reject.
 *
 * The semantics (ACCESS_SEMANTICS, also in the README and `opsdeck config check`): the rules that
 * apply to a request are those whose command and target patterns match it and whose groups the
 * user is in (a read-only rule only for a read-only request). None: refused. Otherwise the
 * strictest requirement among them holds, whatever their order in the file: if any of them
 * names channels, the request must come from a channel that every one of those names; if any
 * asks for approval, approval is required, as the strictest of those rules asks it (the
 * two-person rule before none, then the shortest lifetime, then the first in the file). Rule
 * order changes nothing but which rule's approval is asked when two are equally strict.
 */
export const ACCESS_SEMANTICS = [
  'Access rules: the rules that apply to a request are those whose command and target patterns',
  'match it and whose groups the user is in (a read-only rule only for a read-only request); with',
  'none, the request is refused. Otherwise the strictest requirement among them holds, whatever',
  'their order: if any of them names channels, the request must come from a channel every one of',
  'those names; if any asks for approval, approval is required, by the group of the strictest of',
  'those rules (distinct: true before false, then the shortest ttlMinutes, then the first in the file).',
].join('\n');

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
  /** Declared an emergency (`--emergency "<reason>"`): decided under BREAK_GLASS. */
  emergency?: boolean;
}

export interface RequiredApproval {
  group: string;
  distinct: boolean;
  ttlMs: number;
  /** Whether an Approve click looks up the requester's groups again (any applying rule asks it). */
  recheckRequester: boolean;
}

export interface AccessAllowed {
  allowed: true;
  /**
   * Position in `access.rules` of the rule that decides: the one whose approval is asked, else
   * the first that applies. For the audit trail.
   */
  ruleIndex: number;
  rule: AccessRule;
  /** Every rule that applied (their positions), whose requirements were all met or combined. */
  ruleIndexes: number[];
  approval?: RequiredApproval;
  /** An emergency let through without the approval: who declared it may, who reviews it. */
  breakGlass?: GrantedBreakGlass;
}

export interface GrantedBreakGlass {
  /** The rule's breakGlass group, which the requester is in. */
  group: string;
  /** The group that would have approved: its members review the emergency. */
  reviewers: string;
  reviewWithinMs: number;
}

/**
 * How an emergency is decided (also in the README): a rule that names a `breakGlass` group also
 * applies to that group's members when they declare an emergency; the rule whose approval would be
 * asked (the strictest, as ACCESS_SEMANTICS says) must name `breakGlass` and the requester must be
 * in it. The approval is then not asked, and its group reviews the emergency afterwards. Channels
 * still hold.
 */
export const BREAK_GLASS = [
  'Emergencies: a rule with a breakGlass group also applies to its members when they declare an',
  'emergency (--emergency "<reason>"). The rule whose approval would be asked must name breakGlass',
  'and the requester must be in that group: the approval is then not asked, and its approval group',
  'must review the emergency (press Reviewed) within reviewWithin. Channels still hold.',
].join('\n');

export type DenialReason = 'no-rule' | 'not-in-group' | 'wrong-channel' | 'not-break-glass';

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
  const member = (group: string) => isMember(policy, group, request.userId, request.userGroupIds);
  const applying = forMode.filter(
    ([rule]) =>
      rule.groups.some(member) ||
      (request.emergency === true &&
        rule.breakGlass !== undefined &&
        member(rule.breakGlass.group)),
  );
  if (applying.length === 0) {
    const groups = unique(forMode.flatMap(([rule]) => rule.groups));
    return deny(
      policy,
      'not-in-group',
      `${what} is allowed to ${plural(groups, 'group')} ${groups.join(', ')}; you are in none of them`,
      groups,
    );
  }
  // Every rule that applies and names channels must admit the channel (none is skipped for it).
  const restricting = applying.filter(([rule]) => rule.channels !== undefined);
  if (restricting.some(([rule]) => !channelMatches(rule, request))) {
    const common = restricting
      .map(([rule]) => rule.channels!)
      .reduce((left, right) => left.filter((channel) => right.includes(channel)));
    const rules = restricting.map(([, i]) => `access.rules[${i}]`).join(', ');
    return deny(
      policy,
      'wrong-channel',
      common.length > 0
        ? `${what} may be run only from ${unique(common).join(', ')}`
        : `${what} may be run from no channel: the rules that cover it (${rules}) name no channel in common`,
      adminGroups(policy),
    );
  }
  const approving = applying.filter(([rule]) => rule.approval !== undefined);
  const ttlMs = (rule: AccessRule) =>
    (rule.approval?.ttlMinutes ?? policy.approvalTtlMinutes) * MINUTE_MS;
  const strictest = approving.reduce<[AccessRule, number] | undefined>(
    (best, candidate) =>
      best === undefined || stricter(candidate[0], best[0], ttlMs) ? candidate : best,
    undefined,
  );
  const [rule, ruleIndex] = strictest ?? applying[0]!;
  if (request.emergency === true) return breakGlass(policy, request, rule, ruleIndex, applying);
  return {
    allowed: true,
    rule,
    ruleIndex,
    ruleIndexes: applying.map(([, i]) => i),
    ...(rule.approval && {
      approval: {
        group: rule.approval.group,
        distinct: rule.approval.distinct,
        ttlMs: ttlMs(rule),
        recheckRequester: approving.some(([r]) => r.approval!.recheckRequester),
      },
    }),
  };
}

/** BREAK_GLASS: `rule` is the one whose approval would be asked (or the first that applies). */
function breakGlass(
  policy: AccessConfig,
  request: AccessRequest,
  rule: AccessRule,
  ruleIndex: number,
  applying: [AccessRule, number][],
): AccessDecision {
  const what = describeRequest(request);
  if (!rule.approval)
    return deny(
      policy,
      'not-break-glass',
      `${what} needs no approval, so there is nothing to go ahead of; run it without --emergency`,
      adminGroups(policy),
    );
  const approvers = rule.approval.group;
  if (!rule.breakGlass)
    return deny(
      policy,
      'not-break-glass',
      `${what} has no emergency path: access.rules[${ruleIndex}] asks for approval by ${approvers} and names no breakGlass group`,
      [approvers],
    );
  if (!isMember(policy, rule.breakGlass.group, request.userId, request.userGroupIds))
    return deny(
      policy,
      'not-break-glass',
      `an emergency ${what} may be declared only by group ${rule.breakGlass.group} (breakGlass of access.rules[${ruleIndex}]); you are not in it, so it waits for approval by ${approvers} as usual (ask again without --emergency)`,
      [approvers],
    );
  return {
    allowed: true,
    rule,
    ruleIndex,
    ruleIndexes: applying.map(([, i]) => i),
    breakGlass: {
      group: rule.breakGlass.group,
      reviewers: approvers,
      reviewWithinMs: rule.breakGlass.reviewWithin,
    },
  };
}

/** The command and target a job was requested with, as the access rules name them. */
export interface JobIdentity {
  jobId: string;
  command: string;
  target?: string;
}

/**
 * How commands that act on a job are authorized (also in the README):
 * - cancel: a rule for the cancelling command (`ops cancel`) whose targets match
 *   `<job command> <job target>` (e.g. `restore-table billing`, `deploy billing/*`, or `ops ping`
 *   for a job without a target), or the rule that lets the requester run the job's own command
 *   on its target (approval aside: stopping needs none);
 * - read (`ops audit`, `deploy output`): a rule for the reading command, and read access to the
 *   job's command on its target (any rule that would let the requester run or read it there).
 */
export const JOB_ACCESS = [
  "Commands on a job are authorized against the job's own command and target. Cancelling needs",
  'a rule for `ops cancel` whose targets match `<job command> <job target>` (`restore-table billing`,',
  "`deploy billing/prod`; `ops ping` for a job without a target), or a rule that lets you run the job's",
  'command on its target. Reading a job (`ops audit`, `deploy output`) needs a rule for the reading',
  "command and read access to the job's command on its target.",
].join('\n');

/** The access target of cancelling a job: `<job command> <job target>`. */
export function jobAccessTarget(job: JobIdentity): string {
  return job.target === undefined ? job.command : `${job.command} ${job.target}`;
}

/** `request` (a command on `job`) under JOB_ACCESS. */
export function authorizeJobCommand(
  policy: AccessConfig,
  request: AccessRequest,
  job: JobIdentity,
  access: 'cancel' | 'read',
): AccessDecision {
  const asJob: AccessRequest = { ...request, command: job.command, readOnly: access === 'read' };
  if (job.target === undefined) delete asJob.target;
  else asJob.target = job.target;
  const theJob = `job \`${job.jobId}\` (${describeRequest(asJob)})`;
  if (access === 'cancel') {
    const target = jobAccessTarget(job);
    const viaCancel = authorize(policy, { ...request, target });
    if (viaCancel.allowed) return viaCancel;
    const viaOwn = authorize(policy, asJob);
    if (viaOwn.allowed) {
      const stopping: AccessAllowed = { ...viaOwn };
      delete stopping.approval;
      return stopping;
    }
    return deny(
      policy,
      viaCancel.reason === 'wrong-channel' ? 'wrong-channel' : viaOwn.reason,
      `cancelling ${theJob} needs a rule for \`${request.command}\` whose targets match \`${target}\` (${viaCancel.message}), or one that lets you run ${describeRequest(asJob)} (${viaOwn.message})`,
      unique([...viaCancel.askGroups, ...viaOwn.askGroups]),
    );
  }
  const asCommand = authorize(policy, request);
  if (!asCommand.allowed) return asCommand;
  const reading = authorize(policy, asJob);
  if (reading.allowed) return asCommand;
  return deny(
    policy,
    reading.reason,
    `\`${request.command}\` on ${theJob} needs read access to ${describeRequest(asJob)}: ${reading.message}`,
    reading.askGroups,
  );
}

/**
 * Whether approval by `a` is stricter than by `b`: the two-person rule before none, then the
 * shorter lifetime; equal ones keep the earlier rule (the caller goes in file order).
 */
function stricter(a: AccessRule, b: AccessRule, ttlMs: (rule: AccessRule) => number): boolean {
  if (a.approval!.distinct !== b.approval!.distinct) return a.approval!.distinct;
  return ttlMs(a) < ttlMs(b);
}

export interface ApprovalClick {
  /** The request as it was when the approval was asked for. */
  request: AccessRequest;
  /** The approval requirement stored with the approval. */
  requirement: { group: string; distinct: boolean };
  approverId: string;
  /** The approver's Slack user groups, looked up at click time. */
  approverGroupIds?: readonly string[];
  /**
   * The requester's Slack user groups, looked up at click time; used instead of those stored
   * with the request where an applying rule has `approval.recheckRequester` (the default).
   */
  requesterGroupIds?: readonly string[];
  decision: 'approve' | 'reject';
}

export type ApprovalClickDecision =
  | { ok: true }
  | { ok: false; reason: 'self-approval' | 'not-approver' | 'no-longer-allowed'; message: string };

/**
 * Checks a click on Approve/Reject against the policy and the memberships as they are now (both
 * may have changed since the request). Approving needs: the request still allowed (to the
 * requester's groups as looked up at click time, where the rule says so), the clicker in the
 * approval group of the rule that decides now (and of the stored requirement), and, where either
 * requires it, someone other than the requester. The requester may always reject (withdraw)
 * their own request; others need to be in the approval group.
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
  const stored = authorize(policy, request);
  const recheck =
    stored.allowed && stored.approval?.recheckRequester !== false && click.requesterGroupIds;
  const now = recheck
    ? authorize(policy, withGroups(request, click.requesterGroupIds ?? []))
    : stored;
  if (!now.allowed) {
    const message =
      now.reason === 'not-in-group'
        ? `the requester is no longer in ${plural(now.askGroups, 'group')} ${now.askGroups.join(', ')}, which ${describeRequest(request)} needs`
        : now.message;
    return {
      ok: false,
      reason: 'no-longer-allowed',
      message: `the request is no longer allowed: ${message}`,
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

function withGroups(request: AccessRequest, userGroupIds: readonly string[]): AccessRequest {
  const fresh: AccessRequest = { ...request };
  delete fresh.userGroupIds;
  return userGroupIds.length > 0 ? { ...fresh, userGroupIds } : fresh;
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
