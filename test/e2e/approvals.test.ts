import { signApproval } from '../../src/approvals/approval-store';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../src/approvals/approval-messages';
import { runAuditCli } from '../../src/audit/cli';
import { ALICE, BOB, CAROL, E2eStack, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * Two-person approvals end to end: signed slash commands and signed block_actions clicks into
 * the real Bolt receiver, the plan posted to the alert channel by the real notify worker, the
 * approved job run by a real worker process.
 */

const DAVE = { id: 'U0DAVE', name: 'dave' };

const ACCESS = {
  admins: 'approvers',
  groups: {
    operators: { users: [ALICE.id, BOB.id, DAVE.id] },
    approvers: { users: [ALICE.id, BOB.id, CAROL.id] },
  },
  rules: [
    {
      command: 'ops ping',
      groups: ['operators'],
      approval: { group: 'approvers', distinct: true },
    },
    { command: 'ops *', readOnly: true, groups: ['operators'] },
  ],
};

describe('approvals end to end', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack({ access: ACCESS }, { approvalSweepMs: 100 }).start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  /** Asks for a ping; resolves with the ids and the posted approval message. */
  async function ask(user = ALICE) {
    const ack = answerText(await stack.slash('ping --ticks 1 --tick-seconds 0', { user }));
    return { ack, ...(await stack.pendingApproval(ack)) };
  }

  async function waitForEdit(approvalId: string, what: string): Promise<string> {
    const message = await waitFor(
      () => {
        const m = stack.approvalMessage(approvalId);
        return m?.edited && JSON.stringify(m.blocks).includes(what) ? m : null;
      },
      10_000,
      `the approval message to say ${what}`,
    );
    expect(JSON.stringify(message.blocks)).not.toContain(APPROVE_ACTION_ID);
    return JSON.stringify(message.blocks);
  }

  async function auditTypes(jobId: string): Promise<string[]> {
    return (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
  }

  /** Makes a pending approval look as if its time ran out a second ago. */
  function ageOut(approvalId: string): Promise<void> {
    return stack.ageOutApproval(approvalId);
  }

  it('posts the plan with Approve/Reject, queues nothing; self-approval and outsiders refused; the approval runs the job once', async () => {
    const { ack, approvalId, jobId, message } = await ask();
    expect(ack).toContain(
      '`ops ping` needs approval by someone other than you in *approvers*. The plan is posted in C0ALERTS',
    );
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('<@U0ALICE> asks to run `ops ping`');
    expect(blocks).toContain('wait 1 ticks of 0 s');
    expect(blocks).toContain(APPROVE_ACTION_ID);
    expect(blocks).toContain(REJECT_ACTION_ID);
    expect(blocks).toContain('"confirm":'); // Approve is behind a confirm dialog
    expect(await stack.runtime.opsQueue.count()).toBe(0);

    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, ALICE)).toContain(
      'it needs approval by someone other than the requester (two-person rule)',
    );
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, DAVE)).toBe(
      ':no_entry: Refused: only members of group approvers may decide this.',
    );
    expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();

    // Two approvers click at once: exactly one decides.
    const answers = await Promise.all([
      stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB),
      stack.click(APPROVE_ACTION_ID, approvalId, message.ts, CAROL),
    ]);
    expect(answers.filter((a) => a.includes(`Approved; \`${jobId}\` is queued`))).toHaveLength(1);
    expect(answers.filter((a) => a.includes('This approval was already approved by'))).toHaveLength(
      1,
    );
    const approver = answers[0]!.includes('Approved;') ? BOB : CAROL;

    const done = await stack.finishedThread(jobId, 'succeeded', 20_000);
    expect(done.root!.text).toContain(
      `requested by <@U0ALICE> (alice) · approved by <@${approver.id}> (${approver.name})`,
    );
    expect(await waitForEdit(approvalId, 'Approved by')).toContain(`Approved by <@${approver.id}>`);

    // A late click on the decided approval does nothing.
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toContain(
      'already approved',
    );
    expect(
      await stack.runtime.opsQueue.getJobCounts('completed', 'waiting', 'active'),
    ).toMatchObject({
      completed: 1,
      waiting: 0,
      active: 0,
    });

    const types = await waitFor(
      async () => {
        const t = await auditTypes(jobId);
        return t.includes('succeeded') ? t : null;
      },
      10_000,
      'the audit trail of the approved job',
    );
    expect(types.slice(0, 4)).toEqual(['requested', 'approval-requested', 'approved', 'started']);
    expect(types.at(-1)).toBe('succeeded');
    const approved = (await stack.runtime.auditStore.jobEvents(jobId)).find(
      (r) => r.type === 'approved',
    );
    expect(approved).toMatchObject({ actorId: approver.id, command: 'ops ping' });
    // The refused clicks are in the trail as denials, outside the job's story.
    const denials = await stack.runtime.auditStore.query({ actor: DAVE.id });
    expect(denials.map((r) => r.type)).toEqual(['denied']);
    expect(denials[0]!.detailJson).toContain(approvalId);
  });

  it('a rejection runs nothing and edits the message', async () => {
    const { approvalId, jobId, message } = await ask(BOB);
    expect(await stack.click(REJECT_ACTION_ID, approvalId, message.ts, CAROL)).toBe(
      ':x: Rejected; `ops ping` will not run.',
    );
    expect(await waitForEdit(approvalId, 'Rejected by')).toContain('Rejected by <@U0CAROL>');
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, ALICE)).toContain(
      'already rejected by <@U0CAROL>',
    );
    expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();
    await waitFor(
      async () => (await auditTypes(jobId)).includes('rejected'),
      10_000,
      'the rejected event',
    );
    expect(await auditTypes(jobId)).toEqual(['requested', 'approval-requested', 'rejected']);
  });

  it('an expired approval does nothing when clicked, and says so', async () => {
    const { approvalId, jobId, message } = await ask();
    await ageOut(approvalId);
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toContain(
      'This approval expired',
    );
    expect(await waitForEdit(approvalId, 'Expired at')).toContain('without a decision');
    expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();
    await waitFor(
      async () => (await auditTypes(jobId)).includes('expired'),
      10_000,
      'the expired event',
    );
    expect(await auditTypes(jobId)).toEqual(['requested', 'approval-requested', 'expired']);
  });

  it('expired approvals are swept: message edited, expiry audited once', async () => {
    const { approvalId, jobId } = await ask();
    await ageOut(approvalId);
    await waitForEdit(approvalId, 'Expired at');
    await waitFor(
      async () => (await auditTypes(jobId)).includes('expired'),
      10_000,
      'the expired event',
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few more sweeps
    expect(await auditTypes(jobId)).toEqual(['requested', 'approval-requested', 'expired']);

    const out: string[] = [];
    const code = await runAuditCli(['verify'], stack.config, {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      env: stack.env,
      now: () => Date.now(),
    });
    expect(out.join('')).toMatch(/^audit chain ok/);
    expect(code).toBe(0);
  });

  /**
   * Rewrites the stored approval's plan as a bot running other code would have stored it: signed
   * with the key (an edit without the key is refused earlier, by the approval's MAC). The plan's
   * digests are then all that tells the worker its runbook or input is not what was approved.
   */
  async function alterStoredPlan(
    approvalId: string,
    change: (plan: { input: Record<string, unknown>; planned: { runbook: string } }) => void,
  ): Promise<void> {
    const key = `${stack.prefix}:approval:${approvalId}`;
    const record = JSON.parse((await stack.redis.hget(key, 'record'))!) as {
      plan: { input: Record<string, unknown>; planned: { runbook: string } };
    };
    change(record.plan);
    const stored = JSON.stringify(record);
    const expiresAt = Number(await stack.redis.hget(key, 'expiresAt'));
    const mac = signApproval(stack.runtime.secrets.workSigner, approvalId, expiresAt, stored);
    await stack.redis.hset(key, 'record', stored, 'mac', mac);
  }

  it.each([
    [
      'its input',
      (plan: { input: Record<string, unknown> }) => {
        plan.input.ticks = 3;
      },
      /this job's input is not what bob approved \(input digest [0-9a-f]{12}, approved [0-9a-f]{12}\)\. Nothing was run/,
    ],
    [
      'its runbook',
      (plan: { planned: { runbook: string } }) => {
        plan.planned.runbook = '0'.repeat(64);
      },
      /the ping runbook on this worker is not the one in what bob approved: its steps, their order, irreversible marks or cleanups changed since/,
    ],
  ])(
    'an approved job whose %s is not what was approved is refused: nothing runs, the thread says why',
    async (_what, change, said) => {
      const { approvalId, jobId, message } = await ask();
      // The digests of what the approvers see are in the approval record.
      const key = `${stack.prefix}:approval:${approvalId}`;
      expect(JSON.parse((await stack.redis.hget(key, 'record'))!).plan.planned).toEqual({
        runbook: expect.stringMatching(/^[0-9a-f]{64}$/),
        input: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      await alterStoredPlan(approvalId, change);
      expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toContain(
        `Approved; \`${jobId}\` is queued`,
      );
      const { root, lines } = await stack.finishedThread(jobId, 'failed', 20_000);
      expect(root.text).toMatch(said);
      expect(root.text).toContain('OPSDECK_PLAN_CHANGED');
      expect(lines.join('\n')).not.toContain('throwaway key');
      expect(await auditTypes(jobId)).not.toContain('step-started');
    },
  );
});
