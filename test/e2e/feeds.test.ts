import { FeedStateStore } from '../../src/feeds/feed-state-store';
import { unfoldReplies } from '../../src/notify/fold-replies';
import { ALERT_CHANNEL, E2eStack, waitFor } from '../helpers/e2e-stack';
import { FeedServer, feedFixture } from '../helpers/feed-server';

const INCIDENTS = '/api/v2/incidents.json';
const MAINTENANCES = '/api/v2/scheduled-maintenances.json';
const STAGES = [
  'statuspage-incidents-1-investigating.json',
  'statuspage-incidents-2-identified.json',
  'statuspage-incidents-3-monitoring.json',
  'statuspage-incidents-4-resolved.json',
];

describe('status feed relay end to end (two worker processes, fake Slack)', () => {
  let server: FeedServer;
  let stack: E2eStack;

  beforeAll(async () => {
    server = await new FeedServer().start();
    server.serve(INCIDENTS, { body: feedFixture('statuspage-incidents-0-history.json') });
    server.serve(MAINTENANCES, { body: '{"scheduled_maintenances":[]}' });
    server.serve('/broken.rss', { status: 502 });
    stack = await new E2eStack({
      feeds: {
        reportAfterFailures: 2,
        backoffMaxSeconds: 1,
        list: [
          {
            name: 'github',
            vendor: 'GitHub',
            url: server.url,
            kind: 'statuspage',
            pollSeconds: 0.5,
          },
          { name: 'broken', url: `${server.url}/broken.rss`, kind: 'rss', pollSeconds: 0.5 },
        ],
      },
    }).start();
    await stack.startWorker();
    await stack.startWorker();
  });

  afterAll(async () => {
    await stack.stop();
    await server.stop();
  });

  const roots = () => stack.slack.messages(ALERT_CHANNEL).filter((m) => !m.thread_ts);
  const replies = (ts: string) =>
    stack.slack
      .messages(ALERT_CHANNEL)
      .filter((m) => m.thread_ts === ts)
      .flatMap((m) => unfoldReplies(m.text));
  const incidentRoot = () => roots().find((m) => m.text.includes('*GitHub* incident'));

  it('relays the lifecycle as one thread, reports a broken feed once, and survives a killed worker', async () => {
    const states = new FeedStateStore(stack.redis, stack.prefix);
    await waitFor(
      async () => (await states.read('github')).initializedAt,
      30_000,
      'the first poll',
    );

    for (const [index, stage] of STAGES.entries()) {
      server.serve(INCIDENTS, { body: feedFixture(stage) });
      await waitFor(
        () => {
          const root = incidentRoot();
          return root && replies(root.ts).length === index + 1;
        },
        30_000,
        `update ${index + 1} in the thread`,
      );
    }
    const root = await waitFor(
      () => {
        const found = incidentRoot();
        return found?.text.startsWith(':white_check_mark:') ? found : null;
      },
      30_000,
      'the root edited to resolved',
    );
    expect(root.text).toContain('status: *Resolved*');
    expect(replies(root.ts).map((r) => /\*(\w+)\*/.exec(r)![1])).toEqual([
      'Investigating',
      'Identified',
      'Monitoring',
      'Resolved',
    ]);

    // Kill one worker, start another: more polls, nothing posted again.
    const [first] = stack.workerProcesses;
    first!.kill('SIGKILL');
    await stack.startWorker();
    const seen = server.count(INCIDENTS).total;
    await waitFor(() => server.count(INCIDENTS).total >= seen + 4, 30_000, 'four more polls');
    const incidentRoots = roots().filter((m) => m.text.includes('*GitHub* incident'));
    expect(incidentRoots).toHaveLength(1);
    expect(replies(incidentRoots[0]!.ts)).toHaveLength(4);

    // The broken feed: polled and failing all along, reported exactly once.
    expect((await states.read('broken')).failures).toBeGreaterThan(2);
    const reports = roots().filter((m) => m.text.includes('Status feed *broken*'));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.text).toMatch(
      /is failing since .*: http:\/\/127\.0\.0\.1:\d+\/broken\.rss: HTTP 502/,
    );

    // /ops feeds shows both, with their health.
    const res = await stack.slash('feeds');
    const text = (res.body as { text: string }).text;
    expect(text).toMatch(
      /:large_green_circle: \*github\* \(GitHub; statuspage, every 1s, to C0ALERTS\)\n {4}healthy · last poll <!date/,
    );
    expect(text).toMatch(
      /:red_circle: \*broken\* .*\n {4}failing since <!date.*failed polls, reported\): .*HTTP 502/,
    );
  });
});
