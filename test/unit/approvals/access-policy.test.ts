import fc from 'fast-check';
import { AccessConfig } from '../../../src/config/access';
import { matchPattern } from '../../../src/approvals/pattern';
import {
  authorize,
  authorizeApprovalDecision,
  describeDenial,
  type AccessRequest,
} from '../../../src/approvals/access-policy';

const policy = AccessConfig.parse({
  admins: 'platform',
  approvalTtlMinutes: 20,
  groups: {
    dba: { users: ['UDBA1', 'UDBA2'], usergroups: ['SDBAS'] },
    platform: { users: ['UPLAT1'] },
    everyone: { usergroups: ['SALL'] },
  },
  rules: [
    { command: '*', targets: ['*'], readOnly: true, groups: ['everyone'] },
    { command: 'ops ping', groups: ['everyone'] },
    {
      command: 'restore-table',
      targets: ['prod/*'],
      groups: ['dba'],
      channels: ['#ops', 'C0INCIDENT'],
      approval: { group: 'platform', distinct: true, ttlMinutes: 5 },
    },
    { command: 'restore-table', targets: ['staging/*', 'billing'], groups: ['dba'] },
    { command: 'restore-*', targets: ['dev'], groups: ['dba', 'platform'] },
  ],
});

const base = { channelId: 'C0OPS', channelName: 'ops' };
const restore = (userId: string, target: string, extra: Partial<AccessRequest> = {}) =>
  authorize(policy, { command: 'restore-table', target, userId, ...base, ...extra });

describe('authorize: the policy matrix', () => {
  it('allows a member from an allowed channel, with the rule and its approval', () => {
    const decision = restore('UDBA1', 'prod/billing');
    expect(decision).toEqual({
      allowed: true,
      ruleIndex: 2,
      rule: policy.rules[2],
      approval: { group: 'platform', distinct: true, ttlMs: 5 * 60_000 },
    });
  });

  it('allows by Slack user group membership', () => {
    expect(restore('UOTHER', 'billing', { userGroupIds: ['SDBAS'] })).toMatchObject({
      allowed: true,
      ruleIndex: 3,
    });
    expect(restore('UOTHER', 'billing', { userGroupIds: ['SXYZ'] }).allowed).toBe(false);
  });

  it('uses the policy TTL when the rule has none, and no approval when the rule asks none', () => {
    const noTtl = AccessConfig.parse({
      groups: { a: { users: ['UA1'] } },
      rules: [{ command: 'x', groups: ['a'], approval: { group: 'a' } }],
    });
    expect(authorize(noTtl, { command: 'x', userId: 'UA1', channelId: 'C1' })).toMatchObject({
      allowed: true,
      approval: { group: 'a', distinct: false, ttlMs: 15 * 60_000 },
    });
    expect(restore('UDBA1', 'staging/app')).not.toHaveProperty('approval');
  });

  it('denies by user: names the groups that may and lists whom to ask', () => {
    const decision = restore('UPLAT1', 'prod/billing');
    expect(decision).toEqual({
      allowed: false,
      reason: 'not-in-group',
      message: '`restore-table` on `prod/billing` is allowed to group dba; you are in none of them',
      askGroups: ['dba'],
      contacts: ['UDBA1', 'UDBA2'],
    });
    expect(describeDenial(decision as Extract<typeof decision, { allowed: false }>).text).toBe(
      'Refused: `restore-table` on `prod/billing` is allowed to group dba; you are in none of them. Ask <@UDBA1>, <@UDBA2> (group dba).',
    );
  });

  it('denies by channel, by id or by #name', () => {
    expect(
      restore('UDBA1', 'prod/billing', { channelId: 'C0RANDOM', channelName: 'random' }),
    ).toEqual({
      allowed: false,
      reason: 'wrong-channel',
      message: '`restore-table` on `prod/billing` may be run only from #ops, C0INCIDENT',
      askGroups: ['platform'],
      contacts: ['UPLAT1'],
    });
    expect(restore('UDBA1', 'prod/billing', { channelId: 'C0INCIDENT' }).allowed).toBe(true);
    expect(
      restore('UDBA1', 'prod/billing', { channelId: 'C0X', channelName: '#ops' }).allowed,
    ).toBe(true);
  });

  it('denies by target: a target no rule names, and a missing target where rules need one', () => {
    const changesOnly = AccessConfig.parse({ ...policy, rules: policy.rules.slice(1) });
    const request = { command: 'restore-table', target: 'prod', userId: 'UDBA1', ...base };
    expect(authorize(changesOnly, request)).toMatchObject({
      allowed: false,
      reason: 'no-rule',
      message: 'no access rule covers `restore-table` on `prod`',
      askGroups: ['platform'],
    });
    // With the global read-only rule the explanation says that only reading is granted.
    expect(authorize(policy, request)).toMatchObject({
      allowed: false,
      message: expect.stringContaining('grant read-only use'),
    });
    expect(authorize(policy, { command: 'restore-table', userId: 'UDBA1', ...base })).toMatchObject(
      { allowed: false, message: expect.stringContaining('none was given') },
    );
    // A rule without targets covers only target-less requests.
    expect(
      authorize(policy, {
        command: 'ops ping',
        target: 'x',
        userId: 'U1',
        userGroupIds: ['SALL'],
        ...base,
      }),
    ).toMatchObject({ allowed: false, reason: 'no-rule' });
  });

  it('denies a command with no rule at all (default deny)', () => {
    expect(authorize(policy, { command: 'drop-db', userId: 'UDBA1', ...base })).toMatchObject({
      allowed: false,
      reason: 'no-rule',
      message: 'no access rule covers `drop-db`',
    });
    const empty = AccessConfig.parse({});
    const decision = authorize(empty, { command: 'ops ping', userId: 'U1', channelId: 'C1' });
    expect(decision).toMatchObject({ allowed: false, askGroups: [], contacts: [] });
    expect(describeDenial(decision as Extract<typeof decision, { allowed: false }>).text).toContain(
      'no admins group',
    );
  });

  it('lets read-only rules grant only read-only requests', () => {
    const read = {
      command: 'show-table',
      target: 'prod/billing',
      userId: 'UANY',
      userGroupIds: ['SALL'],
    };
    expect(authorize(policy, { ...read, readOnly: true, ...base })).toMatchObject({
      allowed: true,
      ruleIndex: 0,
    });
    expect(authorize(policy, { ...read, ...base })).toMatchObject({
      allowed: false,
      reason: 'no-rule',
      message:
        'the access rules for `show-table` on `prod/billing` grant read-only use; none allows a change',
    });
  });

  it('matches command patterns', () => {
    expect(restore('UPLAT1', 'dev')).toMatchObject({ allowed: true, ruleIndex: 4 });
  });

  it('never allows a user who is in no group (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        fc.boolean(),
        fc.string(),
        (command, target, readOnly, channelId) => {
          const decision = authorize(policy, {
            command,
            target,
            readOnly,
            channelId,
            userId: 'UNOBODY',
            userGroupIds: ['SNONE'],
          });
          expect(decision.allowed).toBe(false);
        },
      ),
    );
  });
});

describe('matchPattern', () => {
  it('treats * and ? as wildcards and everything else literally', () => {
    expect(matchPattern('prod/*', 'prod/a/b')).toBe(true);
    expect(matchPattern('prod/*', 'production')).toBe(false);
    expect(matchPattern('db?', 'db1')).toBe(true);
    expect(matchPattern('db?', 'db12')).toBe(false);
    expect(matchPattern('a.b', 'axb')).toBe(false);
    expect(matchPattern('(x)+[y]', '(x)+[y]')).toBe(true);
  });

  it('matches any string literally when it has no wildcard (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (s, other) => {
        const literal = s.replace(/[*?]/g, '');
        expect(matchPattern(literal, literal)).toBe(true);
        expect(matchPattern(literal, other)).toBe(literal === other);
        expect(matchPattern(`*${literal}*`, `${other}${literal}${other}`)).toBe(true);
      }),
    );
  });
});

describe('authorizeApprovalDecision', () => {
  const request: AccessRequest = {
    command: 'restore-table',
    target: 'prod/billing',
    userId: 'UDBA1',
    ...base,
  };
  const requirement = { group: 'platform', distinct: true };
  const click = (approverId: string, decision: 'approve' | 'reject' = 'approve') =>
    authorizeApprovalDecision(policy, { request, requirement, approverId, decision });

  it('lets a member of the approval group approve', () => {
    expect(click('UPLAT1')).toEqual({ ok: true });
  });

  it('refuses self-approval where distinct is required, and non-members', () => {
    const selfPolicy = AccessConfig.parse({
      ...policy,
      groups: { ...policy.groups, platform: { users: ['UPLAT1', 'UDBA1'] } },
    });
    expect(
      authorizeApprovalDecision(selfPolicy, {
        request,
        requirement,
        approverId: 'UDBA1',
        decision: 'approve',
      }),
    ).toMatchObject({ ok: false, reason: 'self-approval' });
    expect(click('UDBA2')).toMatchObject({ ok: false, reason: 'not-approver' });
  });

  it('lets the requester withdraw (reject) their own request, but not strangers', () => {
    expect(click('UDBA1', 'reject')).toEqual({ ok: true });
    expect(click('UDBA2', 'reject')).toMatchObject({ ok: false, reason: 'not-approver' });
  });

  it('checks the policy as it is at click time', () => {
    const revoked = AccessConfig.parse({ ...policy, rules: policy.rules.slice(0, 2) });
    expect(
      authorizeApprovalDecision(revoked, {
        request,
        requirement,
        approverId: 'UPLAT1',
        decision: 'approve',
      }),
    ).toMatchObject({ ok: false, reason: 'no-longer-allowed' });
    const moved = AccessConfig.parse({
      ...policy,
      rules: policy.rules.map((rule, i) =>
        i === 2 ? { ...rule, approval: { group: 'dba' } } : rule,
      ),
    });
    expect(
      authorizeApprovalDecision(moved, {
        request,
        requirement,
        approverId: 'UPLAT1',
        decision: 'approve',
      }),
    ).toMatchObject({ ok: false, reason: 'not-approver', message: expect.stringContaining('dba') });
  });
});
