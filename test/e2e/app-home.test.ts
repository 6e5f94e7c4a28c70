import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeHomeView } from '../../devkit/slack/fake-slack-api';
import { appHomeOpenedBody } from '../../devkit/slack/home-payloads';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { FeedStateStore } from '../../src/feeds/feed-state-store';
import { CANCEL_ACTION_ID } from '../../src/queue/job-thread-observer';
import { HealthSnapshots } from '../../src/replicas/health-snapshots';
import type { ReplicaWatchHealth } from '../../src/replicas/replica-health';
import {
  ALICE,
  BOB,
  CAROL,
  DEFAULT_ACCESS,
  E2eStack,
  PING_APPROVAL_ACCESS,
  jobIdIn,
  waitFor,
} from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * The Home tab end to end: signed `app_home_opened` events (Slack's event_callback format) and
 * Home-tab clicks into the real Bolt receiver, views.publish answered and checked (100 blocks,
 * Block Kit's limits) by the fake Slack Web API, real Redis, a real worker process.
 */

type View = FakeHomeView['view'];
type ViewBlock = {
  type: string;
  block_id?: string;
  text?: { text: string };
  accessory?: { action_id?: string; value?: string };
  elements?: { action_id?: string; value?: string; text?: string | { text: string } }[];
};

const blocksOf = (view: View) => view.blocks as ViewBlock[];
const textOf = (view: View) =>
  blocksOf(view)
    .map((b) =>
      [
        b.text?.text ?? '',
        ...(b.elements ?? []).map((e) =>
          typeof e.text === 'string' ? e.text : (e.text?.text ?? ''),
        ),
      ].join(' '),
    )
    .join('\n');
/** The section showing the job, if the view has one. */
const jobSection = (view: View, jobId: string) =>
  blocksOf(view).find((b) => b.type === 'section' && b.text?.text.includes(`\`${jobId}\``));
/** Every button in the view, wherever it is. */
const buttons = (view: View) =>
  blocksOf(view).flatMap((b) => [
    ...(b.accessory ? [b.accessory] : []),
    ...(b.type === 'actions' ? (b.elements ?? []) : []),
  ]);
/** The part of the view under a header, up to the next header. */
const part = (view: View, title: string) => {
  const blocks = blocksOf(view);
  const start = blocks.findIndex((b) => b.type === 'header' && b.text?.text === title);
  if (start < 0) throw new Error(`no "${title}" in the view`);
  const end = blocks.findIndex((b, i) => i > start && b.type === 'header');
  return textOf({ ...view, blocks: blocks.slice(start + 1, end < 0 ? undefined : end) });
};

const HOSTILE = '<!channel> <@U0EVIL> <https://evil.example|click> \u202Egnp.exe';

function hostileIncident(): ReplicaWatchHealth {
  return {
    replica: 'onprem',
    source: 'billing',
    at: Date.now(),
    replication: null,
    margin: null,
    facts: ['replica could not be read'],
    incidents: [
      {
        family: 'replica-unreachable',
        kind: 'replica-unreachable',
        severity: 'error',
        title: `onprem cannot be reached: ${HOSTILE}`,
        diagnostics: [],
        actions: [],
        signature: 'unreachable',
      },
    ],
  } as unknown as ReplicaWatchHealth;
}

describe('App Home tab (end to end)', () => {
  describe('jobs, locks, replicas, feeds', () => {
    let stack: E2eStack;

    beforeAll(async () => {
      const root = mkdtempSync(join(tmpdir(), 'opsdeck-home-'));
      stack = new E2eStack({
        access: {
          ...DEFAULT_ACCESS,
          rules: [
            { command: 'ops *', groups: ['operators'] },
            { command: 'deploy lock', targets: ['billing/*'], groups: ['operators'] },
          ],
        },
        deploy: {
          apps: {
            billing: {
              environments: {
                staging: {
                  command: ['/bin/true', '{host}'],
                  targets: { hosts: ['10.0.0.1'] },
                  defaultRef: 'main',
                },
              },
            },
          },
          outputDir: join(root, 'output'),
        },
        databases: {
          billing: { instance: 'production', user: 'admin', passwordEnv: 'E2E_DB_PASSWORD' },
        },
        replicas: {
          onprem: {
            host: '127.0.0.1',
            port: 1,
            user: 'admin',
            passwordEnv: 'E2E_DB_PASSWORD',
            source: 'billing',
            replicationUser: 'repl',
            replicationPasswordEnv: 'E2E_DB_PASSWORD',
            sourceTls: 'required',
          },
        },
        restoreTable: { workerCidr: '127.3.0.1/32' },
        feeds: {
          list: [
            { name: 'github', vendor: 'GitHub', url: 'http://127.0.0.1:1/', kind: 'statuspage' },
          ],
        },
      });
      stack.env.E2E_DB_PASSWORD = 'unused';
      await stack.start();
      // Runbooks only: no feed polls or replica checks overwrite the state the test writes.
      await stack.startWorker(['--role', 'runbooks']);
    }, 120_000);
    afterAll(() => stack?.stop());

    it('shows a running job with Cancel to its owner, without it to a user who may not cancel; a press cancels it', async () => {
      const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 60 --tick-seconds 1')));
      await waitFor(() => stack.thread(jobId).root, 20_000, 'the job to start');

      const alices = await stack.openHome(ALICE);
      expect(jobSection(alices, jobId)?.accessory).toMatchObject({
        action_id: CANCEL_ACTION_ID,
        value: jobId,
      });
      const bobs = await stack.openHome(BOB);
      expect(jobSection(bobs, jobId)).toBeDefined();
      expect(jobSection(bobs, jobId)?.accessory).toBeUndefined();
      expect(buttons(bobs).filter((b) => b.action_id === CANCEL_ACTION_ID)).toEqual([]);

      // The press in the Home tab runs `/ops cancel <job>` as ALICE; the answer tops her Home.
      const before = stack.homePublishes(ALICE.id).length;
      await stack.pressInHome(ALICE, CANCEL_ACTION_ID, jobId);
      await stack.finishedThread(jobId, 'cancelled');
      const after = await stack.nextHome(
        ALICE.id,
        before,
        (view) =>
          textOf(view).includes(`Cancelling job \`${jobId}\``) &&
          part(view, 'Your last jobs').includes(jobId) &&
          !part(view, 'Running and waiting jobs').includes(jobId),
      );
      expect(part(after, 'Running and waiting jobs')).not.toContain(jobId);
    }, 90_000);

    it('republishes the Home of a user who opened it when a job finishes, without a new event', async () => {
      await stack.openHome(ALICE);
      const opened = stack.homePublishes(ALICE.id).length;
      const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 2 --tick-seconds 0.2')));
      await stack.finishedThread(jobId, 'succeeded');
      const view = await stack.nextHome(ALICE.id, opened, (v) =>
        part(v, 'Your last jobs').includes(`\`${jobId}\` completed`),
      );
      expect(part(view, 'Running and waiting jobs')).not.toContain(jobId);
      // BOB ran nothing: his last jobs stay empty.
      expect(part(await stack.openHome(BOB), 'Your last jobs')).toContain(
        'You have run no job lately.',
      );
    }, 60_000);

    it('waits out a ratelimited views.publish for its Retry-After, then publishes', async () => {
      stack.slack.script('views.publish', [{ status: 429, retryAfter: 1 }]);
      const view = await stack.openHome(CAROL);
      const calls = stack.slack.calls.filter(
        (c) => c.method === 'views.publish' && c.args.user_id === CAROL.id,
      );
      expect(calls.map((c) => c.status)).toEqual([429, 200]);
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
      expect(part(view, 'Waiting for your approval')).toContain('Nothing waits for your approval.');
    }, 30_000);

    it('shows a lock, a replica incident and a failing feed, their outside text escaped', async () => {
      const answer = answerText(
        await stack.slash(`lock billing staging ${HOSTILE} --hours 1`, { command: '/deploy' }),
      );
      expect(answer).toContain(':lock: locked');
      await new HealthSnapshots(stack.redis, stack.prefix).save(hostileIncident());
      await new FeedStateStore(stack.redis, stack.prefix).recordFailure('github', {
        now: Date.now(),
        error: `HTTP 502 from ${HOSTILE}`,
        nextPollAfter: Date.now() + 60_000,
        reportAfter: 3,
      });

      const view = await stack.openHome(BOB);
      const locks = part(view, 'Locks');
      expect(locks).toContain('*billing/staging* (manual)');
      const replicas = part(view, 'Replicas');
      expect(replicas).toContain(':red_circle: *onprem*: 1 incident');
      const feeds = part(view, 'Status feeds');
      expect(feeds).toContain('*github* (GitHub): failing');
      for (const shown of [locks, replicas, feeds]) {
        expect(shown).toContain(
          '&lt;!channel&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|click&gt; ⟨U+202E⟩gnp.exe',
        );
      }
      expect(JSON.stringify(view.blocks)).not.toMatch(
        /<!channel>|<@U0EVIL>|<https:\/\/evil|\u202E/,
      );
    }, 60_000);
  });

  describe('approvals, many jobs, a hostile typed command (no worker: jobs wait)', () => {
    let stack: E2eStack;

    beforeAll(async () => {
      stack = await new E2eStack({ access: PING_APPROVAL_ACCESS }).start();
    }, 60_000);
    afterAll(() => stack?.stop());

    it('shows an approval to its approver only, with its buttons; Approve in the Home tab queues the job', async () => {
      const ack = answerText(await stack.slash('ping', { user: BOB }));
      // No worker drains the outbox here: the approval message is not posted, the Home tab still shows it.
      const approvalId = /`(apv_[0-9a-f]{24})`/.exec(ack)![1]!;
      const jobId = jobIdIn(ack.slice(ack.indexOf('runs as')));

      const carols = await stack.openHome(CAROL);
      expect(part(carols, 'Waiting for your approval')).toContain(approvalId);
      expect(
        buttons(carols)
          .filter((b) => b.value === approvalId)
          .map((b) => b.action_id),
      ).toEqual([APPROVE_ACTION_ID, 'approval.reject']);
      for (const other of [ALICE, BOB]) {
        const view = await stack.openHome(other);
        expect(part(view, 'Waiting for your approval')).toContain(
          'Nothing waits for your approval.',
        );
        expect(JSON.stringify(view.blocks)).not.toContain(approvalId);
      }

      const before = stack.homePublishes(CAROL.id).length;
      await stack.pressInHome(CAROL, APPROVE_ACTION_ID, approvalId);
      const after = await stack.nextHome(CAROL.id, before, (view) =>
        textOf(view).includes(`Approved; \`${jobId}\` is queued`),
      );
      expect(part(after, 'Waiting for your approval')).toContain(
        'Nothing waits for your approval.',
      );
      expect(part(after, 'Running and waiting jobs')).toContain(jobId);
    }, 60_000);

    it('keeps to 100 blocks with many jobs ("and N more") and escapes a hostile typed command', async () => {
      for (let i = 0; i < 60; i += 1) await stack.slash('ping', { user: ALICE });
      // As typed: the newest job, shown first.
      const hostile = await stack.runtime.jobs.enqueue({
        meta: {
          jobId: 'ping-00000000ee',
          command: `/ops ping ${HOSTILE}`,
          commandName: 'ops ping',
          runbook: 'ping',
          summary: 'self-test',
          actor: ALICE,
          channel: { id: 'C0OPS', name: 'ops' },
          requestedAt: new Date().toISOString(),
          correlationId: 'hostile',
        },
        input: { ticks: 1, tickMs: 0, approveMidway: false },
      });
      const view = await stack.openHome(ALICE);
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      const jobs = part(view, 'Running and waiting jobs');
      expect(jobs).toMatch(/_and \d+ more_ · `\/ops jobs` lists them/);
      const shownJobs = blocksOf(view).filter((b) => b.accessory?.action_id === CANCEL_ACTION_ID);
      const more = Number(/_and (\d+) more_/.exec(jobs)![1]);
      const { openTotal } = await stack.runtime.jobs.overview(0, 0);
      expect(openTotal).toBeGreaterThan(60);
      expect(shownJobs.length + more).toBe(openTotal);
      expect(jobSection(view, hostile.job.id!)?.text?.text).toContain(
        '`/ops ping &lt;!channel&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|click&gt; ⟨U+202E⟩gnp.exe`',
      );
      expect(JSON.stringify(view.blocks)).not.toMatch(
        /<!channel>|<@U0EVIL>|<https:\/\/evil|\u202E/,
      );
      expect(stack.slack.blockKitRefusals()).toEqual([]);
    }, 120_000);
  });

  it('publishes the Home tab for an app_home_opened sent over Socket Mode (events_api envelope)', async () => {
    const stack = await new E2eStack({}, { transport: 'socket' }).start();
    try {
      const view = await stack.openHome(ALICE);
      expect(part(view, 'Running and waiting jobs')).toContain('No job runs or waits.');
      // Slack sends app_home_opened for the Messages tab too: that one publishes nothing.
      await stack.deliver(appHomeOpenedBody({ user: BOB, tab: 'messages' }));
      await stack.openHome(CAROL);
      expect(stack.homePublishes(BOB.id)).toEqual([]);
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
