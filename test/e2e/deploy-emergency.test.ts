import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REVIEWED_ACTION_ID } from '../../src/approvals/emergency-review-messages';
import { ALERT_CHANNEL, ALICE, BOB, CAROL, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * The audited emergency path of `/deploy`, end to end: signed slash commands and clicks into the
 * real Bolt receiver, two real worker processes, a real command per host
 * (test/fixtures/deploy/fake-deploy.sh). A breakGlass member deploys without approval and past a
 * promotion gate; the announcement mentions the approvers (a user and a user group); the audit
 * trail and the history mark it; only an approver who did not declare it may press Reviewed; open
 * reviews are listed and reminded once per interval whatever the number of workers. The tests run
 * in order: each starts from what the previous ones left.
 */

const SCRIPT = join(__dirname, '../fixtures/deploy/fake-deploy.sh');
const HOSTS = ['10.0.4.1', '10.0.4.2'];
/** In deployers only: may deploy, may not declare an emergency nor review one. */
const DAVE = { id: 'U0DAVE', name: 'dave' };
/** BOB approves through this Slack user group. */
const APPROVERS_GROUP = 'S0APPROVE';
const HOSTILE = 'checkout down <!channel> & <@U0BOB> <https://evil.example|click> \u202Eyaw';

describe('/deploy --emergency, end to end', () => {
  let stack: E2eStack;
  let root: string;
  const deploy = (line: string, user: { id: string; name: string }) =>
    stack.slash(line, { command: '/deploy', user });
  const ops = (line: string, user: { id: string; name: string } = ALICE) =>
    stack.slash(line, { command: '/ops', user });
  const messages = () => stack.slack.messages(ALERT_CHANNEL).filter((m) => !m.thread_ts);
  const announcement = (jobId: string) =>
    waitFor(
      // The announcement, not the job's own message (whose summary says EMERGENCY too).
      () =>
        messages().find(
          (m) => m.text.startsWith(':rotating_light: *EMERGENCY*') && m.text.includes(jobId),
        ),
      15_000,
      'the emergency announcement',
    );

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-deploy-emergency-'));
    for (const env of ['staging', 'production']) {
      mkdirSync(join(root, env), { recursive: true });
      writeFileSync(join(root, env, 'sleep'), '0.1');
    }
    const environment = (env: string, settings: Record<string, unknown> = {}) => ({
      targets: { hosts: HOSTS },
      command: [SCRIPT, join(root, env), '{host}', '{ref}', '{app}', '{env}'],
      hostTimeoutSeconds: 30,
      ...settings,
    });
    stack = new E2eStack(
      {
        access: {
          groups: {
            approvers: { users: [ALICE.id], usergroups: [APPROVERS_GROUP] },
            oncall: { users: [CAROL.id, ALICE.id] },
            deployers: { users: [DAVE.id] },
          },
          rules: [
            {
              command: 'deploy',
              targets: ['shop/production'],
              groups: ['deployers', 'approvers'],
              approval: { group: 'approvers', distinct: true },
              // Short, so the reminders below find an overdue review.
              breakGlass: { group: 'oncall', reviewWithin: '3s' },
            },
            { command: 'deploy', targets: ['shop/staging'], groups: ['deployers', 'approvers'] },
            { command: 'deploy *', targets: ['*'], groups: ['deployers', 'approvers', 'oncall'] },
            { command: 'ops *', groups: ['deployers', 'approvers', 'oncall'] },
          ],
          reviewReminderSeconds: 2,
        },
        deploy: {
          apps: {
            shop: {
              environments: {
                staging: environment('staging'),
                production: environment('production', { requireSucceededIn: ['staging'] }),
              },
            },
          },
          outputDir: join(root, 'output'),
        },
        runbook: { progressIntervalMs: 0 },
      },
      { usergroups: { [APPROVERS_GROUP]: [BOB.id] } },
    );
    await stack.start();
    await stack.startWorker();
    await stack.startWorker();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('refuses an emergency without a reason (with the usage) and one declared by a non-member, changing nothing', async () => {
    for (const line of ['shop production v1 --emergency ""', 'shop production v1 --emergency']) {
      const answer = answerText(await deploy(line, CAROL));
      expect(answer).toContain(
        line.endsWith('""')
          ? '--emergency: needs a reason, in quotes'
          : '--emergency needs a value',
      );
      expect(answer).toContain(
        '/deploy <app> <env> [<ref>] [--queue] [--dry-run] [--emergency "<reason>"]',
      );
    }
    const refused = answerText(await deploy('shop production v1 --emergency "it is urgent"', DAVE));
    expect(refused).toContain(
      'an emergency `deploy` on `shop/production` may be declared only by group oncall (breakGlass of access.rules[0]); you are not in it',
    );
    expect(await stack.runtime.opsQueue.count()).toBe(0);
    expect(messages()).toHaveLength(0);
    expect(await stack.runtime.reviews.listOpen()).toEqual([]);
  }, 60_000);

  it('a promotion gate refuses the normal deploy; the emergency goes past it and past the approval, announced to the approvers, with the reason escaped', async () => {
    const gated = answerText(await deploy('shop production v1', DAVE));
    expect(gated).toContain('<ref>: v1 has not succeeded in staging');

    const ack = answerText(await deploy(`shop production v1 --emergency "${HOSTILE}"`, CAROL));
    expect(ack).toContain(':rotating_light: Emergency: queued');
    expect(ack).toContain('*without approval*');
    const jobId = jobIdIn(ack);
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    const thread = lines.join('\n');
    expect(thread).toContain(':rotating_light: *emergency*, run without approval: checkout down');
    expect(thread).toContain('overrode the promotion gate: v1 has not succeeded in staging');
    expect(thread).toContain('*shop* `v1` is on *production*');

    // Loud, to the approvers: the user as <@U…>, the user group as <!subteam^S…>.
    const loud = await announcement(jobId);
    expect(loud.text).toContain(':rotating_light: *EMERGENCY*');
    expect(loud.text).toContain(`<@${ALICE.id}> <!subteam^${APPROVERS_GROUP}> (approvers)`);
    expect(loud.text).toContain('*overrode* the promotion gate: v1 has not succeeded in staging');
    expect(loud.text).toContain('press *Reviewed*');
    // The reason is the user's text: it pings no one, links nowhere, hides nothing.
    expect(loud.text).toContain(
      'checkout down &lt;!channel&gt; &amp; &lt;@U0BOB&gt; &lt;https://evil.example|click&gt; ⟨U+202E⟩yaw',
    );
    expect(loud.text).not.toContain('<!channel>');
    expect(loud.text).not.toContain('<@U0BOB>');
    expect(loud.text).not.toContain('\u202E');
    expect(JSON.stringify(loud.blocks)).toContain(REVIEWED_ACTION_ID);

    // The audit trail: the request is marked as an emergency, with its reason and what it overrode.
    const requested = (await stack.runtime.auditStore.query({ jobIds: [jobId] })).find(
      (row) => row.type === 'requested',
    );
    const detail = JSON.parse(requested!.detailJson!) as {
      emergency: { reason: string; breakGlass: string; reviewers: string; overrides: string[] };
    };
    expect(detail.emergency).toMatchObject({
      reason: HOSTILE,
      breakGlass: 'oncall',
      reviewers: 'approvers',
    });
    expect(detail.emergency.overrides[0]).toContain('v1 has not succeeded in staging');
    expect(
      (await stack.runtime.auditStore.query({ jobIds: [jobId] })).map((row) => row.type),
    ).not.toContain('approval-requested');
    const audit = answerText(await ops(`audit ${jobId}`));
    expect(audit).toContain(':rotating_light: emergency, without approval, by <@U0CAROL>');

    // The history marks it, with its reason.
    const history = answerText(await deploy('history shop production', DAVE));
    expect(history).toContain('`v1` by carol: :white_check_mark: succeeded');
    expect(history).toContain(':rotating_light: *emergency* without approval: checkout down');
    expect(history).toContain('overrode the promotion gate');

    // Open reviews are listed.
    const reviews = answerText(await ops('reviews', DAVE));
    expect(reviews).toContain('*Emergencies waiting for review* (1)');
    expect(reviews).toContain(`\`${jobId}\` on \`shop/production\` by carol`);
  }, 90_000);

  it('Reviewed: refused to whoever declared it and to a non-approver; an approver closes it, audited, and the announcement says so', async () => {
    const [open] = await stack.runtime.reviews.listOpen();
    const jobId = open!.jobId;
    const loud = await announcement(jobId);

    expect(await stack.click(REVIEWED_ACTION_ID, jobId, loud.ts, CAROL)).toContain(
      'Refused: you declared this emergency; it must be reviewed by another member of approvers',
    );
    expect(await stack.click(REVIEWED_ACTION_ID, jobId, loud.ts, DAVE)).toContain(
      'Refused: only members of group approvers (the approvers of what it ran) may review this emergency',
    );
    expect((await stack.runtime.reviews.listOpen()).map((r) => r.jobId)).toEqual([jobId]);

    // BOB is an approver through the Slack user group.
    expect(await stack.click(REVIEWED_ACTION_ID, jobId, loud.ts, BOB)).toContain(
      `Reviewed: the emergency \`${jobId}\` is closed`,
    );
    const reviewed = await waitFor(
      () => messages().find((m) => m.ts === loud.ts && m.text.includes('Emergency reviewed')),
      15_000,
      'the announcement edited',
    );
    expect(reviewed.text).toContain(`*Emergency reviewed* by <@${BOB.id}> (bob)`);
    expect(JSON.stringify(reviewed.blocks)).not.toContain(REVIEWED_ACTION_ID);
    const row = await waitFor(
      async () =>
        (await stack.runtime.auditStore.query({ jobIds: [jobId] })).find(
          (r) => r.type === 'reviewed',
        ),
      15_000,
      'the reviewed audit event',
    );
    expect(row.actorId).toBe(BOB.id);
    expect(answerText(await ops(`audit ${jobId}`))).toContain(`• reviewed by <@${BOB.id}>`);
    expect(answerText(await ops('reviews'))).toContain('No emergency waits for review.');
    expect(await stack.click(REVIEWED_ACTION_ID, jobId, loud.ts, ALICE)).toContain(
      'already reviewed by bob',
    );
  }, 60_000);

  it('an emergency rollback runs without approval, marked as both; open reviews are reminded once per interval with two workers, overdue said so', async () => {
    const ack = answerText(await deploy('shop production v2 --emergency "v1 leaks memory"', CAROL));
    await stack.finishedThread(jobIdIn(ack), 'succeeded');
    const back = answerText(
      await deploy('rollback shop production --emergency "v2 broke the login page"', ALICE),
    );
    expect(back).toContain(':rotating_light: Emergency: queued');
    const rollbackId = jobIdIn(back);
    const { lines } = await stack.finishedThread(rollbackId, 'succeeded');
    expect(lines.join('\n')).toContain(':rewind: *rollback*');
    expect(lines.join('\n')).toContain('run without approval: v2 broke the login page');
    const history = answerText(await deploy('history shop production', DAVE));
    expect(history).toContain(':rewind: rollback to `v1` by alice');
    expect(history).toContain('without approval: v2 broke the login page');

    // ALICE approves, but declared this one: someone else reviews it.
    const loud = await announcement(rollbackId);
    expect(await stack.click(REVIEWED_ACTION_ID, rollbackId, loud.ts, ALICE)).toContain(
      'you declared this emergency',
    );

    // Both reviews are overdue after 3 s: the reminders (every 2 s) say so, one per interval.
    const reminders = await waitFor(
      () => {
        const found = messages().filter(
          (m) => m.text.includes(':alarm_clock:') && m.text.includes(rollbackId),
        );
        return found.length >= 2 && found.some((m) => m.text.includes('2 *overdue*'))
          ? found
          : null;
      },
      30_000,
      'two reminders, one with both reviews overdue',
    );
    const overdue = reminders.find((m) => m.text.includes('2 *overdue*'))!;
    expect(overdue.text).toContain(':red_circle: *overdue* since');
    expect(overdue.text).toContain(`<@${ALICE.id}> <!subteam^${APPROVERS_GROUP}> (approvers)`);
    const all = messages().filter((m) => m.text.includes(':alarm_clock:'));
    const intervals = all.map((m) => /reminder of (<!date[^>]+>)/.exec(m.text)?.[1]);
    expect(intervals.every(Boolean)).toBe(true);
    expect(new Set(intervals).size).toBe(all.length);
  }, 120_000);
});
