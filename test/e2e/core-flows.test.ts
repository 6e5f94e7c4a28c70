import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { CANCEL_ACTION_ID } from '../../src/queue/job-thread-observer';
import type { SlackTransport } from '../../devkit/slack/slack-delivery';
import {
  ALERT_CHANNEL,
  BOB,
  CAROL,
  E2eStack,
  jobIdIn,
  PING_APPROVAL_ACCESS,
  waitFor,
} from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * The core flows over both ways Slack reaches the bot: signed HTTP requests into Bolt's
 * receiver, and envelopes over Socket Mode (the bot connected to the fake Slack with its
 * app-level token). One set of tests, run once per transport; every answer must come within
 * Slack's 3 s.
 */

const MALLORY = { id: 'U0MALLORY', name: 'mallory' };

describe.each<SlackTransport>(['http', 'socket'])('core flows over %s', (transport) => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack({ access: PING_APPROVAL_ACCESS }, { transport }).start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  afterEach(() => {
    expect(Math.max(...stack.answerMs)).toBeLessThan(3000);
    if (transport === 'socket') {
      // Each envelope acknowledged exactly once, and nothing acknowledged that was not sent.
      for (const envelope of stack.slack.socket.envelopeRecords())
        expect(envelope.acks).toHaveLength(1);
      expect(stack.slack.socket.strayAcks).toEqual([]);
    }
  });

  async function jobsCreated(): Promise<number> {
    const counts = await stack.runtime.opsQueue.getJobCounts();
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  it('a slash command: acked with the job id, run, its thread posted and its root edited', async () => {
    const res = await stack.slash('ping --ticks 2 --tick-seconds 0.2');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    const jobId = jobIdIn(answerText(res));

    const done = await stack.finishedThread(jobId, 'succeeded', 30_000);

    expect(done.root.text).toMatch(
      /^:white_check_mark: succeeded in \d+s — `\/ops ping --ticks 2 --tick-seconds 0.2`/,
    );
    expect(done.root.text).toContain('<@U0ALICE>');
    expect(done.root.text).toMatch(
      /started <!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ>/,
    );
    expect(done.lines).toEqual([
      ':arrow_forward: step 1/3 *write-scratch-key* started',
      expect.stringMatching(/^wrote throwaway key `.+:ping:ping-[0-9a-f]{10}`$/),
      expect.stringMatching(/^:heavy_check_mark: \*write-scratch-key\* done in \d+s$/),
      ':arrow_forward: step 2/3 *wait* started',
      ':bar_chart: *wait* 50% (1/2 ticks, ETA 0s)',
      ':bar_chart: *wait* 100% (2/2 ticks)',
      expect.stringMatching(/^:heavy_check_mark: \*wait\* done in \d+s$/),
      ':arrow_forward: step 3/3 *read-back* started',
      'read the key back: Redis round trip ok',
      expect.stringMatching(/^:heavy_check_mark: \*read-back\* done in \d+s$/),
      ':broom: cleanup *delete throwaway key* done',
      expect.stringMatching(/^:white_check_mark: succeeded in \d+s$/),
    ]);
    // every thread line carries a timestamp
    for (const reply of done.replies)
      expect(reply).toMatch(/^<!date\^\d+\^\{time_secs\}\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ> /);
    // the throwaway key is gone
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
    // the Cancel button is gone from the final root
    const root = stack.slack.messages().find((m) => m.ts === done.root.ts)!;
    expect(JSON.stringify(root.blocks)).not.toContain('job.cancel');
  });

  it('a refusal: says what is missing and whom to ask, starts nothing, is audited', async () => {
    const before = await jobsCreated();
    const res = await stack.slash('ping --ticks 1', { user: MALLORY });
    expect(answerText(res)).toBe(
      ':no_entry: Refused: `ops ping` is allowed to groups trusted, operators; you are in none of them. Ask <@U0ALICE>, <@U0BOB> (groups trusted, operators).',
    );
    expect(await jobsCreated()).toBe(before);
    const denials = await waitFor(
      async () => {
        const rows = await stack.runtime.auditStore.query({ actor: MALLORY.id });
        return rows.length > 0 ? rows : null;
      },
      10_000,
      'the denial in the audit trail',
    );
    expect(denials.map((r) => r.type)).toEqual(['denied']);
  });

  it('a two-person approval by button: self-approval refused, the approver’s click runs it once', async () => {
    const before = await jobsCreated();
    const ack = answerText(await stack.slash('ping --ticks 1 --tick-seconds 0', { user: BOB }));
    expect(ack).toContain('`ops ping` needs approval by someone other than you in *approvers*');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    expect(await jobsCreated()).toBe(before);

    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toContain(
      'two-person rule',
    );
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, CAROL)).toContain(
      `Approved; \`${jobId}\` is queued`,
    );
    const done = await stack.finishedThread(jobId, 'succeeded', 20_000);
    expect(done.root.text).toContain(
      'requested by <@U0BOB> (bob) · approved by <@U0CAROL> (carol)',
    );
    await waitFor(
      () => JSON.stringify(stack.approvalMessage(approvalId)?.blocks).includes('Approved by'),
      10_000,
      'the approval message to say Approved by',
    );
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, CAROL)).toContain(
      'already approved',
    );
    expect(await jobsCreated()).toBe(before + 1);
  });

  it('a cancel by button: the running step stops, the cleanup runs, the clicker is told', async () => {
    const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 60 --tick-seconds 0.5')));
    const root = await waitFor(() => stack.thread(jobId).root, 20_000, 'the root message');
    await waitFor(
      async () =>
        ((await stack.runtime.jobs.get(jobId))?.progress as { percent?: number })?.percent,
      20_000,
      'the wait step to run',
    );
    expect(await stack.click(CANCEL_ACTION_ID, jobId, root.ts)).toContain(
      `Cancelling job \`${jobId}\``,
    );
    const thread = await stack.finishedThread(jobId, 'cancelled', 30_000);
    expect(thread.root.text).toMatch(/^:no_entry_sign: cancelled in \d+s/);
    expect(thread.lines).toContain(':broom: cleanup *delete throwaway key* done');
    expect(thread.lines.some((l) => l.includes('*wait* done'))).toBe(false);
    const answer = stack.slack.calls.find(
      (c) => c.method === 'respond' && String(c.args.text).includes(`Cancelling job \`${jobId}\``),
    );
    expect(answer?.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const job = (await stack.runtime.jobs.get(jobId))!;
    expect(job.failedReason).toBe('cancelled: cancelled by alice');
    expect(job.data.checkpoint).toMatchObject({
      outcome: 'cancelled',
      completed: ['write-scratch-key'],
      cleanedUp: ['write-scratch-key'],
    });
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
  });

  it('a double delivery starts one job, or posts one approval', async () => {
    const before = await jobsCreated();
    const body = stack.slashBody('ping --ticks 1 --tick-seconds 0');
    const answers = await Promise.all([stack.deliver(body), stack.deliver(body)]);
    answers.push(await stack.deliver(body));
    expect(new Set(answers.map((a) => jobIdIn(answerText(a)))).size).toBe(1);
    expect(answers.filter((a) => answerText(a).includes('already received'))).toHaveLength(2);
    expect(await jobsCreated()).toBe(before + 1);

    const approvals = () =>
      stack.slack
        .messages(ALERT_CHANNEL)
        .filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(APPROVE_ACTION_ID));
    const posted = approvals().length;
    const asked = stack.slashBody('ping --ticks 1 --tick-seconds 0', { user: BOB });
    const [first, second] = await Promise.all([stack.deliver(asked), stack.deliver(asked)]);
    const approvalIds = [first, second].map((a) => /`(apv_[0-9a-f]{24})`/.exec(answerText(a))?.[1]);
    expect(approvalIds[0]).toBeDefined();
    expect(approvalIds[1]).toBe(approvalIds[0]);
    expect([first, second].filter((a) => answerText(a).includes('already received'))).toHaveLength(
      1,
    );
    await stack.waitForApprovalMessage(approvalIds[0]!);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a second message would be out by now
    expect(approvals()).toHaveLength(posted + 1);
    expect(await jobsCreated()).toBe(before + 1);
  });
});
