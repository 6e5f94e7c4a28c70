import { BYPASS_GROUPS, RULE_A, RULE_B } from '../../fixtures/access/bypass-rules';
import fc from 'fast-check';
import { AccessConfig } from '../../../src/config/access';
import { matchPattern } from '../../../src/approvals/pattern';
import {
  authorize,
  authorizeApprovalDecision,
  authorizeJobCommand,
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
      ruleIndexes: [2],
      rule: policy.rules[2],
      approval: { group: 'platform', distinct: true, ttlMs: 5 * 60_000, recheckRequester: true },
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

describe('authorize: the strictest requirement among the rules that apply, whatever their order', () => {
  const ruleA = RULE_A;
  const ruleB = RULE_B;
  const groups = BYPASS_GROUPS;
  const inOrder = AccessConfig.parse({ admins: 'platform', groups, rules: [ruleA, ruleB] });
  const reversed = AccessConfig.parse({ admins: 'platform', groups, rules: [ruleB, ruleA] });
  const dm = { channelId: 'D0DIRECT', channelName: 'directmessage' };
  const request = (extra: Partial<AccessRequest>): AccessRequest => ({
    command: 'restore-table',
    target: 'billing',
    userId: 'UDBA1',
    ...base,
    ...extra,
  });

  it.each([
    ['A then B', inOrder],
    ['B then A', reversed],
  ])('refuses /restore-table billing from a direct message (%s)', (_order, rules) => {
    expect(authorize(rules, request(dm))).toMatchObject({
      allowed: false,
      reason: 'wrong-channel',
      message: '`restore-table` on `billing` may be run only from #ops',
    });
  });

  it.each([
    ['A then B', inOrder, 0],
    ['B then A', reversed, 1],
  ])('asks platform to approve it from #ops (%s)', (_order, rules, index) => {
    expect(authorize(rules, request({}))).toMatchObject({
      allowed: true,
      ruleIndex: index,
      ruleIndexes: [0, 1],
      approval: { group: 'platform', distinct: true },
    });
  });

  it('leaves what only the broad rule covers as it was', () => {
    expect(authorize(inOrder, request({ target: 'shop', ...dm }))).toMatchObject({
      allowed: true,
      ruleIndex: 1,
    });
    expect(authorize(inOrder, request({ target: 'shop', ...dm }))).not.toHaveProperty('approval');
  });

  it('needs a channel every restricting rule names, and says when there is none', () => {
    const two = AccessConfig.parse({
      groups,
      rules: [
        { ...ruleA, channels: ['#ops', '#incident'], approval: undefined },
        { ...ruleB, channels: ['#incident', 'C0WAR'] },
      ],
    });
    expect(authorize(two, request({})).allowed).toBe(false);
    expect(authorize(two, request({ channelId: 'C0INC', channelName: 'incident' })).allowed).toBe(
      true,
    );
    const disjoint = AccessConfig.parse({
      groups,
      rules: [ruleA, { ...ruleB, channels: ['#random'] }],
    });
    expect(authorize(disjoint, request({}))).toMatchObject({
      allowed: false,
      reason: 'wrong-channel',
      message:
        '`restore-table` on `billing` may be run from no channel: the rules that cover it (access.rules[0], access.rules[1]) name no channel in common',
    });
  });

  it('takes the strictest approval: two-person before none, then the shortest lifetime, then file order', () => {
    const approvals = (a: object, b: object) =>
      authorize(
        AccessConfig.parse({
          groups,
          approvalTtlMinutes: 30,
          rules: [
            { ...ruleB, approval: a },
            { ...ruleA, channels: undefined, approval: b },
          ],
        }),
        request({}),
      );
    expect(approvals({ group: 'dba' }, { group: 'platform', distinct: true })).toMatchObject({
      ruleIndex: 1,
      approval: { group: 'platform', distinct: true },
    });
    expect(
      approvals({ group: 'dba', ttlMinutes: 5 }, { group: 'platform', ttlMinutes: 10 }),
    ).toMatchObject({ ruleIndex: 0, approval: { group: 'dba', ttlMs: 5 * 60_000 } });
    expect(approvals({ group: 'dba' }, { group: 'platform' })).toMatchObject({
      ruleIndex: 0,
      approval: { group: 'dba', ttlMs: 30 * 60_000 },
    });
    expect(
      approvals({ group: 'dba', recheckRequester: false }, { group: 'platform' }),
    ).toMatchObject({ approval: { group: 'dba', recheckRequester: true } });
  });

  it('never lets adding a rule weaken a request (property)', () => {
    const rule = fc.record({
      command: fc.constantFrom('restore-table', '*', 'restore-*'),
      targets: fc.constantFrom(['billing'], ['*'], ['shop']),
      groups: fc.constant(['dba']),
      channels: fc.option(fc.constantFrom(['#ops'], ['C0OPS', '#incident'], ['#random']), {
        nil: undefined,
      }),
      approval: fc.option(fc.record({ group: fc.constant('platform'), distinct: fc.boolean() }), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 4 }),
        rule,
        fc.nat({ max: 4 }),
        fc.constantFrom(base, dm),
        (rules, extra, at, where) => {
          const before = authorize(AccessConfig.parse({ groups, rules }), request(where));
          const more = [...rules];
          more.splice(Math.min(at, more.length), 0, extra);
          const after = authorize(AccessConfig.parse({ groups, rules: more }), request(where));
          // Wherever it goes, a rule that applies can refuse or add approval, never drop either.
          if (before.allowed && after.allowed && before.approval) {
            expect(after.approval).toBeDefined();
            if (before.approval.distinct) expect(after.approval!.distinct).toBe(true);
          }
          // And the decision does not depend on the order of the rules.
          const shuffled = authorize(
            AccessConfig.parse({ groups, rules: [...more].reverse() }),
            request(where),
          );
          expect(shuffled.allowed).toBe(after.allowed);
          if (shuffled.allowed && after.allowed) {
            expect(shuffled.approval?.distinct).toBe(after.approval?.distinct);
          }
        },
      ),
      { numRuns: 300 },
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

describe('authorizeApprovalDecision: memberships at click time', () => {
  const slackPolicy = AccessConfig.parse({
    groups: {
      oncall: { usergroups: ['SONCALL'] },
      platform: { users: ['UPLAT1'], usergroups: ['SPLAT'] },
    },
    rules: [
      {
        command: 'restore-table',
        targets: ['billing'],
        groups: ['oncall'],
        approval: { group: 'platform', distinct: true },
      },
    ],
  });
  const asked: AccessRequest = {
    command: 'restore-table',
    target: 'billing',
    userId: 'UONCALL',
    userGroupIds: ['SONCALL'],
    ...base,
  };
  const requirement = { group: 'platform', distinct: true };
  const approve = (
    policyNow: typeof slackPolicy,
    extra: { approverId?: string; approverGroupIds?: string[]; requesterGroupIds?: string[] },
  ) =>
    authorizeApprovalDecision(policyNow, {
      request: asked,
      requirement,
      approverId: 'UPLAT1',
      decision: 'approve',
      ...extra,
    });

  it("refuses once the requester has left the rule's user group (looked up at click time)", () => {
    expect(approve(slackPolicy, { requesterGroupIds: ['SONCALL'] })).toEqual({ ok: true });
    expect(approve(slackPolicy, { requesterGroupIds: [] })).toEqual({
      ok: false,
      reason: 'no-longer-allowed',
      message:
        'the request is no longer allowed: the requester is no longer in group oncall, which `restore-table` on `billing` needs',
    });
  });

  it('keeps the stored groups where the rule says recheckRequester: false', () => {
    const trusting = AccessConfig.parse({
      ...slackPolicy,
      rules: [{ ...slackPolicy.rules[0], approval: { ...requirement, recheckRequester: false } }],
    });
    expect(approve(trusting, { requesterGroupIds: [] })).toEqual({ ok: true });
  });

  it("takes the approver's membership from the click, not from anything stored", () => {
    expect(
      approve(slackPolicy, {
        approverId: 'UOTHER',
        approverGroupIds: [],
        requesterGroupIds: ['SONCALL'],
      }),
    ).toMatchObject({ ok: false, reason: 'not-approver' });
    expect(
      approve(slackPolicy, {
        approverId: 'UOTHER',
        approverGroupIds: ['SPLAT'],
        requesterGroupIds: ['SONCALL'],
      }),
    ).toEqual({ ok: true });
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

describe('authorizeJobCommand: commands on a job, against its own command and target', () => {
  const jobs = AccessConfig.parse({
    groups: {
      dba: { users: ['UDBA1'] },
      oncall: { users: ['UONCALL'] },
      readers: { users: ['UREAD'] },
    },
    rules: [
      { command: 'restore-table', targets: ['billing'], groups: ['dba'] },
      { command: 'ops cancel', targets: ['restore-table shop', 'ops ping'], groups: ['oncall'] },
      { command: 'ops audit', groups: ['dba', 'oncall', 'readers'] },
      { command: 'restore-table', targets: ['shop'], groups: ['readers'], readOnly: true },
    ],
  });
  const billingJob = {
    jobId: 'restore-table-0000000001',
    command: 'restore-table',
    target: 'billing',
  };
  const shopJob = { jobId: 'restore-table-0000000002', command: 'restore-table', target: 'shop' };
  const pingJob = { jobId: 'ping-0000000003', command: 'ops ping' };
  const on = (command: string, userId: string): AccessRequest => ({ command, userId, ...base });

  it('lets a cancel rule whose targets match `<command> <target>` cancel, and only those', () => {
    expect(authorizeJobCommand(jobs, on('ops cancel', 'UONCALL'), shopJob, 'cancel').allowed).toBe(
      true,
    );
    expect(authorizeJobCommand(jobs, on('ops cancel', 'UONCALL'), pingJob, 'cancel').allowed).toBe(
      true,
    );
    expect(
      authorizeJobCommand(jobs, on('ops cancel', 'UONCALL'), billingJob, 'cancel'),
    ).toMatchObject({
      allowed: false,
      message:
        'cancelling job `restore-table-0000000001` (`restore-table` on `billing`) needs a rule for `ops cancel` whose targets match `restore-table billing` (no access rule covers `ops cancel` on `restore-table billing`), or one that lets you run `restore-table` on `billing` (`restore-table` on `billing` is allowed to group dba; you are in none of them)',
    });
  });

  it("lets whoever may run the job's command on its target cancel it, without approval", () => {
    const withApproval = AccessConfig.parse({
      ...jobs,
      rules: [{ ...jobs.rules[0], approval: { group: 'oncall' } }],
    });
    const decision = authorizeJobCommand(
      withApproval,
      on('ops cancel', 'UDBA1'),
      billingJob,
      'cancel',
    );
    expect(decision.allowed).toBe(true);
    expect(decision).not.toHaveProperty('approval');
    expect(authorizeJobCommand(jobs, on('ops cancel', 'UDBA1'), shopJob, 'cancel').allowed).toBe(
      false,
    );
    // A read-only grant on the target is no right to stop its jobs.
    expect(authorizeJobCommand(jobs, on('ops cancel', 'UREAD'), shopJob, 'cancel').allowed).toBe(
      false,
    );
  });

  it('lets a job be read by whoever may read or run its command on its target', () => {
    const read = (userId: string, job: typeof billingJob) =>
      authorizeJobCommand(jobs, { ...on('ops audit', userId), readOnly: true }, job, 'read');
    expect(read('UDBA1', billingJob).allowed).toBe(true);
    expect(read('UREAD', shopJob).allowed).toBe(true);
    expect(read('UREAD', billingJob)).toMatchObject({
      allowed: false,
      reason: 'not-in-group',
      message:
        '`ops audit` on job `restore-table-0000000001` (`restore-table` on `billing`) needs read access to `restore-table` on `billing`: `restore-table` on `billing` is allowed to group dba; you are in none of them',
    });
    // Cancelling a shop restore is no right to read it.
    expect(read('UONCALL', shopJob).allowed).toBe(false);
    // And the reading command needs its own rule.
    expect(
      authorizeJobCommand(
        jobs,
        { ...on('deploy output', 'UDBA1'), readOnly: true },
        billingJob,
        'read',
      ),
    ).toMatchObject({ allowed: false, reason: 'no-rule' });
  });
});

describe('authorize: emergencies (BREAK_GLASS)', () => {
  const glass = AccessConfig.parse({
    admins: 'platform',
    groups: {
      deployers: { users: ['UDEP1'] },
      approvers: { users: ['UAPP1'], usergroups: ['SAPPROVE'] },
      oncall: { users: ['UONC1', 'UAPP1'], usergroups: ['SONCALL'] },
      platform: { users: ['UPLAT1'] },
    },
    rules: [
      {
        command: 'deploy',
        targets: ['shop/production'],
        groups: ['deployers', 'approvers'],
        channels: ['#ops'],
        approval: { group: 'approvers', distinct: true },
        breakGlass: { group: 'oncall', reviewWithin: '2h' },
      },
      {
        command: 'deploy',
        targets: ['shop/*'],
        groups: ['deployers'],
        approval: { group: 'platform' },
      },
      { command: 'deploy', targets: ['web/*'], groups: ['deployers'] },
    ],
  });
  const asked = (userId: string, target: string, extra: Partial<AccessRequest> = {}) =>
    authorize(glass, {
      command: 'deploy',
      target,
      userId,
      ...base,
      emergency: true,
      ...extra,
    });

  it("lets a breakGlass member go ahead without the approval (in the rule's groups or not), its approvers to review", () => {
    for (const decision of [
      asked('UONC1', 'shop/production'),
      asked('U0ANY', 'shop/production', { userGroupIds: ['SONCALL'] }),
    ]) {
      expect(decision).toMatchObject({
        allowed: true,
        ruleIndex: 0,
        breakGlass: { group: 'oncall', reviewers: 'approvers', reviewWithinMs: 2 * 3600_000 },
      });
      expect(decision.allowed && decision.approval).toBeUndefined();
    }
  });

  it('refuses a non-member with what it takes; without --emergency the same request waits for approval', () => {
    const refused = asked('UDEP1', 'shop/production');
    expect(refused).toMatchObject({
      allowed: false,
      reason: 'not-break-glass',
      askGroups: ['approvers'],
    });
    expect(!refused.allowed && refused.message).toBe(
      'an emergency `deploy` on `shop/production` may be declared only by group oncall (breakGlass of access.rules[0]); you are not in it, so it waits for approval by approvers as usual (ask again without --emergency)',
    );
    expect(asked('UDEP1', 'shop/production', { emergency: false })).toMatchObject({
      allowed: true,
      approval: { group: 'approvers' },
    });
    // A breakGlass member is no one special without an emergency.
    expect(asked('UONC1', 'shop/production', { emergency: false })).toMatchObject({
      allowed: false,
      reason: 'not-in-group',
    });
  });

  it('refuses where the deciding rule names no breakGlass, or asks no approval; channels still hold', () => {
    expect(asked('UDEP1', 'shop/staging')).toMatchObject({
      allowed: false,
      reason: 'not-break-glass',
      message:
        '`deploy` on `shop/staging` has no emergency path: access.rules[1] asks for approval by platform and names no breakGlass group',
    });
    expect(asked('UDEP1', 'web/prod')).toMatchObject({
      allowed: false,
      reason: 'not-break-glass',
      askGroups: ['platform'],
    });
    expect(
      asked('UONC1', 'shop/production', { channelName: 'random', channelId: 'C0RANDOM' }),
    ).toMatchObject({
      allowed: false,
      reason: 'wrong-channel',
    });
  });
});
