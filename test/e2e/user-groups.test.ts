import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { ALICE, BOB, CAROL, E2eStack, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * Access rules that grant through Slack user groups, end to end: signed slash commands and
 * signed clicks, membership answered by the fake Slack's usergroups.users.list.
 */

const DAVE = { id: 'U0DAVE', name: 'dave' };

const ACCESS = {
  admins: 'approvers',
  groups: {
    operators: { users: [DAVE.id], usergroups: ['S0OPS'] },
    approvers: { usergroups: ['S0APPROVERS'] },
  },
  rules: [
    { command: 'ops ping', groups: ['operators'], approval: { group: 'approvers' } },
    { command: 'ops jobs', readOnly: true, groups: ['operators'] },
  ],
};

describe('user groups in access rules', () => {
  let stack: E2eStack;
  const lookups = () => stack.slack.calls.filter((c) => c.method === 'usergroups.users.list');

  beforeAll(async () => {
    stack = await new E2eStack(
      { access: ACCESS },
      { usergroups: { S0OPS: [BOB.id], S0APPROVERS: [CAROL.id], S0OTHER: [ALICE.id] } },
    ).start();
    await stack.startWorker(); // its notify worker posts the approval message
  });
  afterAll(() => stack.stop());

  it('a member of a granted user group may run the command; a non-member is refused', async () => {
    expect(answerText(await stack.slash('jobs', { user: BOB }))).toContain('No jobs yet');
    expect(answerText(await stack.slash('jobs', { user: ALICE }))).toContain(
      ':no_entry: Refused: `ops jobs` is allowed to group operators; you are in none of them.',
    );
    // Only the groups the policy names were looked up, each once (then from the cache).
    expect(lookups().map((c) => c.args.usergroup)).toEqual(['S0OPS', 'S0APPROVERS']);
  });

  it('an approval click by a member of the approving user group decides; a non-member is refused', async () => {
    const ack = answerText(await stack.slash('ping --ticks 1 --tick-seconds 0', { user: BOB }));
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, DAVE)).toBe(
      ':no_entry: Refused: only members of group approvers may decide this.',
    );
    expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, CAROL)).toContain(
      `Approved; \`${jobId}\` is queued`,
    );
    expect((await stack.runtime.jobs.get(jobId))?.data.meta.approvedBy).toEqual(CAROL);
  });

  it('when Slack does not answer in time, user-group grants do not apply (user-id grants do) and the refusal says why', async () => {
    await stack.redis.del(
      `${stack.prefix}:usergroup:S0OPS:members`,
      `${stack.prefix}:usergroup:S0APPROVERS:members`,
    );
    stack.slack.script('usergroups.users.list', [{ delayMs: 1500 }, { delayMs: 1500 }]);
    const refused = await stack.slash('jobs', { user: BOB });
    expect(refused.ms).toBeLessThan(2500);
    expect(answerText(refused)).toContain('you are in none of them');
    expect(answerText(refused)).toContain(
      'Slack could not tell in time whether you are in user groups S0OPS (timed out after 1000 ms), S0APPROVERS (timed out after 1000 ms), so grants through user groups were not applied',
    );
    // DAVE is granted by user id: allowed although Slack is slow.
    expect(answerText(await stack.slash('jobs', { user: DAVE }))).not.toContain('Refused');
    const denial = await waitFor(
      async () =>
        (await stack.runtime.auditStore.query({ actor: BOB.id })).find((r) => r.type === 'denied'),
      10_000,
      "BOB's denial in the audit trail",
    );
    expect(JSON.parse(denial.detailJson!)).toMatchObject({
      reason: 'not-in-group',
      unresolvedUserGroups: [
        { id: 'S0OPS', reason: 'timed out after 1000 ms' },
        { id: 'S0APPROVERS', reason: 'timed out after 1000 ms' },
      ],
    });
  });
});
