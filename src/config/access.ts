import { z } from 'zod';
import { channelRef } from './config-fields';

/**
 * The `access` section of the config: who may run what, where, and with whose approval.
 *
 * Default deny: with no groups and no rules (the defaults) every request is refused. Every rule
 * whose command and target patterns match a request and whose groups hold the requester applies,
 * and the strictest requirement among them holds, whatever their order (ACCESS_SEMANTICS in
 * src/approvals/access-policy.ts says it in full; `opsdeck config check` prints it).
 *
 *   access:
 *     admins: platform            # asked when no rule covers a request
 *     groups:
 *       dba: { users: [U012AB3CD], usergroups: [S0614TZR7] }
 *       platform: { users: [U0456EFGH] }
 *       everyone: { usergroups: [S0ALLSTAFF] }
 *     rules:
 *       - { command: '*', targets: ['*'], readOnly: true, groups: [everyone] }
 *       - command: restore-table
 *         targets: ['billing', 'prod/*']
 *         groups: [dba]
 *         channels: ['#ops']
 *         approval: { group: platform, distinct: true }
 *         breakGlass: { group: oncall, reviewWithin: 24h }   # --emergency "<reason>", reviewed after
 */

const groupName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be a group name (letters, digits, _ and -)');

const slackUserId = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id (U... or W...)');

const slackUserGroupId = z
  .string()
  .regex(/^S[A-Z0-9]{2,20}$/, 'must be a Slack user group id (S...)');

/** A command or target pattern: `*` is any run of characters, `?` one character. */
const pattern = z.string().min(1).max(200);

export const AccessGroup = z.strictObject({
  users: z.array(slackUserId).default([]),
  /** Slack user groups (S...) whose members belong to this group; the caller resolves membership. */
  usergroups: z.array(slackUserGroupId).default([]),
});

export const ApprovalRequirement = z.strictObject({
  /** The group whose members may approve. */
  group: groupName,
  /** The two-person rule: the approver must be someone other than the requester. */
  distinct: z.boolean().default(false),
  /** Overrides `access.approvalTtlMinutes` for this rule. */
  ttlMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  /**
   * At the Approve click, the requester's groups are looked up again (Slack user groups included)
   * and the request must still be allowed to them; `false` keeps the groups they had when asking.
   */
  recheckRequester: z.boolean().default(true),
});

/** A duration as people write it: `90m`, `24h`, `2d` (also `s`), in ms. */
const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(s|m|h|d)$/, 'must be a duration such as 30m, 24h or 2d')
  .transform((text) => {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[text.slice(-1)]!;
    return Math.round(Number(text.slice(0, -1)) * unit);
  })
  .refine((ms) => ms >= 1000 && ms <= 30 * 86_400_000, 'must be between 1s and 30d');

/**
 * The emergency path of a rule that asks for approval: members of `group` may run its command
 * with `--emergency "<reason>"` without waiting for the approval; it is announced to the approvers,
 * who must review it (press Reviewed) within `reviewWithin`.
 */
export const BreakGlass = z.strictObject({
  /** The group whose members may declare an emergency (they need not be in the rule's groups). */
  group: groupName,
  /** How long the approvers have to review an emergency: `24h`, `90m`, `2d`. */
  reviewWithin: duration.prefault('24h'),
});

export const AccessRule = z.strictObject({
  /** Command name as the command modules name it (`restore-table`, `ops ping`), or a pattern. */
  command: pattern,
  /**
   * Targets (database, app/env, zone) this rule covers. A rule without `targets` covers only
   * requests without a target; use `['*']` for any target.
   */
  targets: z.array(pattern).min(1).optional(),
  groups: z.array(groupName).min(1),
  /** Channels the command may be run from; any channel when absent. */
  channels: z.array(channelRef).min(1).optional(),
  /** Grants read-only requests only (status, list, show), never a change. */
  readOnly: z.boolean().default(false),
  approval: ApprovalRequirement.optional(),
  /** Who may go ahead without the approval in an emergency, and how soon it is reviewed. */
  breakGlass: BreakGlass.optional(),
});

export const AccessConfig = z
  .strictObject({
    /** The group to ask when no rule covers a request (policy owners). */
    admins: groupName.optional(),
    groups: z.record(groupName, AccessGroup).default({}),
    rules: z.array(AccessRule).prefault([]),
    /** How long an approval request stays valid. */
    approvalTtlMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /**
     * How long the members of a Slack user group (usergroups.users.list) are trusted before they
     * are asked again; shared by every bot and worker process through Redis.
     */
    userGroupCacheSeconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .default(300),
    /** How often the approvers are reminded of emergencies they have not reviewed (default daily). */
    reviewReminderSeconds: z
      .number()
      .min(1)
      .max(7 * 24 * 3600)
      .default(24 * 3600),
  })
  .superRefine((config, ctx) => {
    const known = Object.keys(config.groups);
    const check = (name: string, path: (string | number)[]) => {
      if (!Object.hasOwn(config.groups, name)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `unknown group (defined groups: ${known.length > 0 ? known.join(', ') : 'none'})`,
        });
      }
    };
    if (config.admins !== undefined) check(config.admins, ['admins']);
    config.rules.forEach((rule, i) => {
      rule.groups.forEach((name, j) => check(name, ['rules', i, 'groups', j]));
      if (rule.approval) check(rule.approval.group, ['rules', i, 'approval', 'group']);
      if (rule.breakGlass) {
        check(rule.breakGlass.group, ['rules', i, 'breakGlass', 'group']);
        if (!rule.approval)
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'breakGlass'],
            message:
              'needs an approval on the same rule: break glass skips that approval, and its approvers review the emergency',
          });
      }
    });
  });

export type AccessConfig = z.infer<typeof AccessConfig>;
export type AccessRule = z.infer<typeof AccessRule>;
export type AccessGroup = z.infer<typeof AccessGroup>;
export type BreakGlass = z.infer<typeof BreakGlass>;
