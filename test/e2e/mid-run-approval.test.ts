import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../src/approvals/approval-messages';
import type { AuditEventType } from '../../src/audit/audit-event';
import type { FakeMessage } from '../../devkit/slack/fake-slack-api';
import { ALERT_CHANNEL, ALICE, BOB, CAROL, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { answerText, shown } from '../helpers/slack-text';

/**
 * A runbook that asks for approval mid-run (`/ops ping --approve-midway`), end to end: signed
 * slash commands and clicks into the real Bolt receiver, real worker processes (one killed
 * while the job waits). The rule for `ops ping` asks for no approval, so the job starts at
 * once and its mid-run approval goes to the admins group under the two-person rule.
 */

const ACCESS = {
  admins: 'approvers',
  groups: {
    operators: { users: [ALICE.id, BOB.id] },
    approvers: { users: [ALICE.id, CAROL.id] },
  },
  rules: [{ command: 'ops *', groups: ['operators'] }],
};

describe('approval asked for mid-run by a runbook', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack({ access: ACCESS }, { approvalSweepMs: 200 }).start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  function approvalMessages(jobId: string): FakeMessage[] {
    return stack.slack
      .messages(ALERT_CHANNEL)
      .filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`(job \`${jobId}\`)`));
  }

  /** Starts a ping that asks midway; resolves once its approval is posted. */
  async function ping(user = ALICE) {
    const jobId = jobIdIn(
      answerText(await stack.slash('ping --ticks 1 --tick-seconds 0 --approve-midway', { user })),
    );
    const message = await waitFor(
      () => approvalMessages(jobId)[0],
      20_000,
      'the mid-run approval message',
    );
    const approvalId = /apv_[0-9a-f]{24}/.exec(JSON.stringify(message.blocks))![0];
    return { jobId, approvalId, message };
  }

  async function auditTypes(jobId: string, until: AuditEventType): Promise<string[]> {
    return waitFor(
      async () => {
        const types = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
        return types.includes(until) ? types : null;
      },
      10_000,
      `${until} in the audit trail`,
    );
  }

  it('posts the plan, waits, refuses self-approval, and goes on when someone else approves', async () => {
    const { jobId, approvalId, message } = await ping();
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('read the throwaway key back');
    expect(blocks).toContain('someone other than the requester in *approvers*');
    await waitFor(
      () => stack.thread(jobId).replies.some((r) => r.includes('waiting for approval by')),
      10_000,
      'the waiting line in the thread',
    );
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, ALICE)).toContain(
      'two-person rule',
    );
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toBe(
      ':no_entry: Refused: only members of group approvers may decide this.',
    );
    await new Promise((resolve) => setTimeout(resolve, 700)); // a few polls: still waiting
    expect(await (await stack.runtime.jobs.get(jobId))!.getState()).toBe('active');

    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, CAROL)).toBe(
      `:white_check_mark: Approved; job \`${jobId}\` continues. Progress goes to ${ALERT_CHANNEL}.`,
    );
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('step 3/4 *approve-midway* started'),
        expect.stringContaining('approved by <@U0CAROL>'),
        expect.stringContaining('step 4/4 *read-back* started'),
      ]),
    );
    expect(await (await stack.runtime.jobs.get(jobId))!.getState()).toBe('completed');
    expect(approvalMessages(jobId)).toHaveLength(1);
    expect(await stack.runtime.opsQueue.count()).toBe(0); // the approval enqueued nothing

    await auditTypes(jobId, 'succeeded');
    const story = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) =>
      r.step ? `${r.type} ${r.step}` : r.type,
    );
    const from = story.indexOf('step-started approve-midway');
    expect(story.slice(from, from + 5)).toEqual([
      'step-started approve-midway',
      'approval-requested',
      'approved',
      'step-finished approve-midway',
      'step-started read-back',
    ]);
    const approved = (await stack.runtime.auditStore.jobEvents(jobId)).find(
      (r) => r.type === 'approved',
    );
    expect(approved).toMatchObject({ actorId: CAROL.id, command: 'ops ping' });
  });

  it('a rejection fails the job and its cleanup runs', async () => {
    const { jobId, approvalId, message } = await ping(BOB);
    expect(await stack.click(REJECT_ACTION_ID, approvalId, message.ts, CAROL)).toBe(
      `:x: Rejected; job \`${jobId}\` stops here and its cleanups run.`,
    );
    const { root, lines } = await stack.finishedThread(jobId, 'failed');
    expect(shown(root.text)).toContain(`approval ${approvalId} was rejected by U0CAROL`);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringContaining('cleanup *delete throwaway key* done')]),
    );
    expect(lines.some((l) => l.includes('*read-back* started'))).toBe(false);
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
    const rows = await stack.runtime.auditStore.jobEvents(jobId);
    expect(rows.find((r) => r.type === 'step-failed')?.detailJson).toContain(
      'OPSDECK_APPROVAL_REJECTED',
    );
    expect(await auditTypes(jobId, 'failed')).toEqual(
      expect.arrayContaining(['approval-requested', 'rejected', 'cleanup', 'failed']),
    );
  });

  it('an approval that expires fails the job (cleanup runs) and edits the message', async () => {
    const { jobId, approvalId } = await ping();
    await stack.ageOutApproval(approvalId);
    const { root, lines } = await stack.finishedThread(jobId, 'failed');
    expect(shown(root.text)).toContain(`approval ${approvalId} expired`);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringContaining('cleanup *delete throwaway key* done')]),
    );
    await waitFor(
      () => JSON.stringify(approvalMessages(jobId)[0]?.blocks).includes('Expired at'),
      10_000,
      'the approval message to say it expired',
    );
    const types = await auditTypes(jobId, 'failed');
    expect(types.filter((t) => t === 'expired')).toHaveLength(1);
  });

  it('cancelling a job that waits for approval cancels it, runs its cleanup and withdraws the approval', async () => {
    const { jobId, approvalId } = await ping();
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain(
      `Cancelling job \`${jobId}\``,
    );
    const { lines } = await stack.finishedThread(jobId, 'cancelled');
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringContaining('cleanup *delete throwaway key* done')]),
    );
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
    expect(await auditTypes(jobId, 'cancelled')).toContain('approval-requested');
    // Its approval is withdrawn: the message says so, without buttons, and a late click does nothing.
    const message = await waitFor(
      () => {
        const m = approvalMessages(jobId)[0];
        return JSON.stringify(m?.blocks).includes('Withdrawn at') ? m : null;
      },
      10_000,
      'the approval message to say it was withdrawn',
    );
    expect(JSON.stringify(message.blocks)).toContain(
      '<@U0ALICE> cancelled the job before a decision',
    );
    expect(JSON.stringify(message.blocks)).not.toContain(APPROVE_ACTION_ID);
    const late = await stack.post(stack.clickBody(APPROVE_ACTION_ID, approvalId, message.ts));
    expect(late.status).toBe(200);
    expect((await stack.runtime.jobs.get(jobId))!.data.checkpoint).toMatchObject({
      outcome: 'cancelled',
    });
  });

  it('a worker killed while the job waits: the resumed job waits for the same approval and goes on when it is given', async () => {
    const { jobId, approvalId, message } = await ping();
    await waitFor(
      async () => {
        const state = (await stack.checkpoint(jobId))?.state;
        return (state?.['approval:approve-midway'] as { posted?: boolean } | undefined)?.posted;
      },
      10_000,
      'the posted approval in the job state',
    );
    const [worker] = stack.workerProcesses;
    worker!.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    await stack.startWorker();
    await waitFor(
      () => stack.thread(jobId).replies.some((r) => r.includes('resumed after an interruption')),
      30_000,
      'the job to resume',
    );
    await new Promise((resolve) => setTimeout(resolve, 700)); // it waits again, posts nothing new
    expect(approvalMessages(jobId)).toHaveLength(1);
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, CAROL)).toContain(
      'continues',
    );
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines.filter((l) => l.includes('waiting for approval by'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('*approve-midway* started'))).toHaveLength(2);
    expect(approvalMessages(jobId)).toHaveLength(1);
    const types = await auditTypes(jobId, 'succeeded');
    expect(types.filter((t) => t === 'approval-requested')).toHaveLength(1);
  });
});
