import { runAuditCli } from '../../src/audit/cli';
import { CANCEL_ACTION_ID } from '../../src/queue/job-thread-observer';
import { ALICE, BOB, CAROL, E2eStack, jobIdIn, OPS_CHANNEL, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * The access policy at the Slack level (signed slash commands and clicks into the real Bolt
 * receiver), and the audit trail a job leaves, read back with /ops audit and verified.
 */

const ADMIN = { id: 'U0ADMIN', name: 'admin' };
const RANDOM = { id: 'C0RANDOM', name: 'random' };

const ACCESS = {
  admins: 'admins',
  groups: {
    operators: { users: [ALICE.id, BOB.id] },
    admins: { users: [ADMIN.id] },
  },
  rules: [
    { command: 'ops ping', groups: ['operators'], channels: ['#ops'] },
    { command: 'ops *', readOnly: true, groups: ['operators'] },
    // Cancelling is authorized against the job's command and target: any job, for the admins.
    { command: 'ops cancel', targets: ['*'], groups: ['admins'] },
  ],
};

describe('access policy and audit trail end to end', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack({ access: ACCESS }).start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  it('allows a member from an allowed channel', async () => {
    const res = await stack.slash('ping --ticks 1 --tick-seconds 0');
    expect(answerText(res)).toContain(':inbox_tray: Queued');
  });

  it('refuses someone outside the groups, names the groups and who to ask, and audits it', async () => {
    const res = await stack.slash('ping --ticks 1', { user: CAROL });
    expect(answerText(res)).toBe(
      ':no_entry: Refused: `ops ping` is allowed to group operators; you are in none of them. Ask <@U0ALICE>, <@U0BOB> (group operators).',
    );
    const rows = await stack.runtime.auditStore.query({ actor: CAROL.id });
    expect(rows).toEqual([
      expect.objectContaining({
        type: 'denied',
        command: 'ops ping',
        actorName: 'carol',
        channelId: OPS_CHANNEL.id,
        jobId: null,
        detailJson: expect.stringContaining('"reason":"not-in-group"'),
      }),
    ]);
  });

  it('refuses a member from another channel, and points at the admins', async () => {
    const res = await stack.slash('ping --ticks 1', { channel: RANDOM });
    expect(answerText(res)).toBe(
      ':no_entry: Refused: `ops ping` may be run only from #ops. Ask <@U0ADMIN> (group admins).',
    );
  });

  it('lets a read-only rule grant reading but no change', async () => {
    expect(answerText(await stack.slash('jobs', { user: BOB, channel: RANDOM }))).toContain(
      '*Jobs*',
    );
    const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 1 --tick-seconds 0')));
    const res = await stack.slash(`cancel ${jobId}`, { user: BOB, channel: RANDOM });
    expect(answerText(res)).toContain(
      `Refused: cancelling job \`${jobId}\` (\`ops ping\`) needs a rule for \`ops cancel\` whose targets match \`ops ping\` (\`ops cancel\` on \`ops ping\` is allowed to group admins; you are in none of them), or one that lets you run \`ops ping\` (\`ops ping\` may be run only from #ops)`,
    );
  });

  it('refuses everything to someone no rule names (default deny), reading included', async () => {
    expect(answerText(await stack.slash('help', { user: CAROL }))).toContain(
      ':no_entry: Refused: `ops help` is allowed to group operators',
    );
  });

  it('checks a Cancel click against the policy too (it is /ops cancel by the clicker)', async () => {
    const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 30 --tick-seconds 0.2')));
    const root = await waitFor(() => stack.thread(jobId).root, 10_000, 'the root message');
    expect(await stack.click(CANCEL_ACTION_ID, jobId, root.ts, CAROL)).toContain(
      `Refused: cancelling job \`${jobId}\` (\`ops ping\`) needs a rule for \`ops cancel\``,
    );
    // The root message is posted when the job starts: it is running, so it is stopped.
    expect(await stack.click(CANCEL_ACTION_ID, jobId, root.ts, ADMIN)).toContain(
      `Cancelling job \`${jobId}\``,
    );
    const cancelled = await waitFor(
      async () =>
        (await stack.runtime.auditStore.jobEvents(jobId)).find((r) => r.type === 'cancelled'),
      15_000,
      'the cancelled event',
    );
    expect(cancelled).toMatchObject({ actorId: ADMIN.id, actorName: 'admin' });
  });

  it('leaves the job story in the audit trail, shows it with /ops audit, and the chain verifies', async () => {
    const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 2 --tick-seconds 0.1')));
    const rows = await waitFor(
      async () => {
        const events = await stack.runtime.auditStore.jobEvents(jobId);
        return events.some((r) => r.type === 'succeeded') ? events : null;
      },
      20_000,
      'the succeeded event',
    );
    expect(rows.map((r) => [r.type, r.step])).toEqual([
      ['requested', null],
      ['started', null],
      ['step-started', 'write-scratch-key'],
      ['step-finished', 'write-scratch-key'],
      ['step-started', 'wait'],
      ['step-finished', 'wait'],
      ['step-started', 'read-back'],
      ['step-finished', 'read-back'],
      ['cleanup', 'delete throwaway key'],
      ['succeeded', null],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({
        actorId: ALICE.id,
        actorName: 'alice',
        channelId: OPS_CHANNEL.id,
        command: 'ops ping',
      });
    }
    expect(JSON.parse(rows[0]!.argsJson!)).toEqual({
      ticks: 2,
      'tick-seconds': 0.1,
      'approve-midway': false,
    });
    expect(rows.map((r) => r.at)).toEqual([...rows.map((r) => r.at)].sort((a, b) => a - b));

    const shown = answerText(await stack.slash(`audit ${jobId}`));
    expect(shown).toContain(`*ops ping*: *succeeded* · \`${jobId}\``);
    expect(shown).toContain('• requested by <@U0ALICE>');
    for (const step of ['write-scratch-key', 'wait', 'read-back'])
      expect(shown).toContain(`:white_check_mark: ${step} <!date^`);
    expect(answerText(await stack.slash('audit ping-0000000000'))).toBe(
      'No job `ping-0000000000` is known (not in the queue, nothing in the audit trail). `/ops jobs` lists running and recent jobs.',
    );

    const out: string[] = [];
    const code = await runAuditCli(['verify'], stack.config, {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      env: stack.env,
      now: () => Date.now(),
    });
    expect(out.join('')).toMatch(/^audit chain ok: \d+ rows/);
    expect(code).toBe(0);
  });
});
