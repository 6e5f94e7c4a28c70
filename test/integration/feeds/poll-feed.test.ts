import { Queue, type Worker } from 'bullmq';
import type IORedis from 'ioredis';
import type { FeedIncident } from '../../../src/feeds/feed-incident';
import { FeedStateStore } from '../../../src/feeds/feed-state-store';
import type { ResolvedFeed } from '../../../src/config/feeds';
import { FeedParseProcess } from '../../../src/feeds/parse-process';
import { pollFeed, type PollDeps } from '../../../src/feeds/poll-feed';
import { relayIncidents } from '../../../src/feeds/relay-incidents';
import { RelayStore } from '../../../src/feeds/relay-store';
import { parseStatuspage } from '../../../src/feeds/statuspage-adapter';
import { createLogger } from '../../../src/log/logger';
import { unfoldReplies } from '../../../src/notify/fold-replies';
import { createNotifyWorker } from '../../../src/notify/notify-worker';
import { Outbox } from '../../../src/notify/outbox';
import { type DrainJobData, NOTIFY_QUEUE } from '../../../src/notify/outbox-keys';
import type { OutboxMessage } from '../../../src/notify/outbox-message';
import { createNotifyClient } from '../../../src/notify/slack-client';
import { type FakeSlackApi, startFakeSlackApi } from '../../../devkit/slack/fake-slack-api';
import { waitFor } from '../../helpers/e2e-stack';
import { FeedServer, feedFixture } from '../../helpers/feed-server';
import { connectRedis, deleteRedisPrefix, testSigner, uniqueName } from '../../helpers/services';
import { type MessageSink } from '../../../src/notify/message-sink';

const CHANNEL = 'C0ALERT';
const INCIDENTS = '/api/v2/incidents.json';
const MAINTENANCES = '/api/v2/scheduled-maintenances.json';
const NO_MAINTENANCES = JSON.stringify({
  page: { id: 'kctbh9vrtdwd' },
  scheduled_maintenances: [],
});
const STAGES = [
  'statuspage-incidents-1-investigating.json',
  'statuspage-incidents-2-identified.json',
  'statuspage-incidents-3-monitoring.json',
  'statuspage-incidents-4-resolved.json',
];
const logger = createLogger('silent');
const notifyConfig = {
  postIntervalMs: 10,
  updateIntervalMs: 10,
  maxTextLength: 3500,
  retryBaseDelayMs: 40,
  retryMaxDelayMs: 200,
  requestTimeoutMs: 2000,
};

/** One worker process's view: its own Redis connection and stores. */
interface Process {
  redis: IORedis;
  deps: PollDeps;
}

describe('polling and relaying a status feed (real Redis, local HTTP, fake Slack)', () => {
  let prefix: string;
  let server: FeedServer;
  let slack: FakeSlackApi;
  let queue: Queue<DrainJobData>;
  let notify: Worker;
  let admin: IORedis;
  let clock: number;
  const connections: IORedis[] = [];
  /** Everything any process queued for Slack, in order. */
  const enqueued: { thread: string; message: OutboxMessage }[] = [];
  /** Documents are parsed as a worker parses them: on the feed parse process. */
  const parser = new FeedParseProcess({ budgetMs: 30_000, maxMemoryMb: 256 });
  afterAll(() => parser.close());

  function feed(overrides: Partial<ResolvedFeed> = {}): ResolvedFeed {
    return {
      name: 'github',
      vendor: 'GitHub',
      url: server.url,
      kind: 'statuspage',
      minImpact: 'none',
      channel: CHANNEL,
      firstPoll: 'unresolved',
      intervalMs: 60_000,
      offsetMs: 0,
      ...overrides,
    };
  }

  function startProcess(settings: Partial<PollDeps['settings']> = {}): Process {
    const redis = connectRedis();
    connections.push(redis);
    const outbox = new Outbox(redis, prefix, queue, testSigner());
    const sink: MessageSink = {
      enqueue: async (thread, message) => {
        enqueued.push({ thread, message });
        await outbox.enqueue(thread, message);
      },
    };
    return {
      redis,
      deps: {
        states: new FeedStateStore(redis, prefix),
        relay: new RelayStore(redis, prefix),
        parser,
        sink,
        settings: {
          timeoutMs: 2000,
          parseTimeoutMs: 30_000,
          maxBytes: 1024 * 1024,
          backoffMaxSeconds: 3600,
          reportAfterFailures: 2,
          ...settings,
        },
        logger,
        now: () => clock,
        random: () => 0.5,
      },
    };
  }

  function serveStatuspage(incidents: string, maintenances = NO_MAINTENANCES): void {
    server.serve(INCIDENTS, { body: incidents });
    server.serve(MAINTENANCES, { body: maintenances });
  }

  /** The alert channel as Slack shows it: roots with their replies. */
  function channel() {
    const all = slack.messages(CHANNEL);
    return all
      .filter((m) => !m.thread_ts)
      .map((root) => ({
        text: root.text,
        edited: root.edited !== undefined,
        replies: all.filter((m) => m.thread_ts === root.ts).flatMap((m) => unfoldReplies(m.text)),
      }));
  }

  /** How many queued messages Slack has got: a folded reply counts for each reply in it. */
  function deliveredMessages(): number {
    return slack.calls
      .filter((c) => c.status === 200)
      .reduce(
        (sum, c) => sum + (c.args.thread_ts ? unfoldReplies(String(c.args.text)).length : 1),
        0,
      );
  }

  /** Waits until Slack has everything queued so far (the outbox drains asynchronously). */
  async function delivered(): Promise<void> {
    await waitFor(
      () => deliveredMessages() >= enqueued.length,
      20_000,
      `${enqueued.length} Slack calls`,
    );
  }

  beforeEach(async () => {
    prefix = uniqueName('feeds');
    clock = Date.parse('2025-11-20T17:10:00Z');
    enqueued.length = 0;
    server = await new FeedServer().start();
    slack = await startFakeSlackApi({ channels: { [CHANNEL]: 'devops_alert' } });
    admin = connectRedis();
    queue = new Queue<DrainJobData>(NOTIFY_QUEUE, { connection: admin, prefix });
    const notifyConnection = connectRedis();
    connections.push(notifyConnection);
    notify = createNotifyWorker({
      connection: notifyConnection,
      prefix,
      client: createNotifyClient('xoxb-test-token', notifyConfig, slack.url),
      config: notifyConfig,
      logger,
      signer: testSigner(),
    });
  });

  afterEach(async () => {
    await notify.close();
    await queue.close();
    await server.stop();
    await slack.stop();
    await deleteRedisPrefix(admin, prefix);
    await Promise.all([admin, ...connections.splice(0)].map((c) => c.quit()));
  });

  it('relays an incident lifecycle as one root, one reply per update, and the root edited to resolved', async () => {
    const { deps } = startProcess();
    serveStatuspage(feedFixture('statuspage-incidents-0-history.json'));
    expect(await pollFeed(feed(), deps)).toBe('changed');
    expect(enqueued).toEqual([]); // first poll: only resolved history, nothing posted

    for (const stage of STAGES) {
      serveStatuspage(feedFixture(stage));
      clock += 60_000;
      expect(await pollFeed(feed(), deps)).toBe('changed');
    }
    await delivered();

    const [root, ...others] = channel();
    expect(others).toEqual([]);
    expect(root!.edited).toBe(true);
    expect(root!.text.split('\n')).toEqual([
      ':white_check_mark: *GitHub* incident (resolved): *Disruption with Actions and API Requests*',
      'status: *Resolved* · impact: major · components: Actions, API Requests',
      expect.stringMatching(
        /^started <!date\^1763658285\^\{date_short_pretty\} \{time_secs\}\|2025-11-20T17:04:45Z> · last update <!date\^\d+\^.*> · <https:\/\/stspg\.io\/8t3ytm3n\|details>$/,
      ),
    ]);
    expect(root!.replies.map((reply) => reply.replace(/^<!date[^>]+> /, ''))).toEqual([
      '*Investigating* — We are investigating reports of degraded availability for Actions and API Requests',
      expect.stringMatching(
        /^\*Identified\* — We have identified the cause as a failing database primary/,
      ),
      expect.stringMatching(/^\*Monitoring\* — The failover is complete/),
      '*Resolved* — This incident has been resolved. Thank you for your patience and engagement while we worked on this.',
    ]);
    // The root was first posted while investigating, then edited once per later update.
    const posts = slack.calls.filter((c) => c.method === 'chat.postMessage');
    expect(String(posts[0]!.args.text)).toMatch(
      /^:large_orange_circle: \*GitHub\* incident: .*\nstatus: \*Investigating\*/,
    );
    expect(posts).toHaveLength(5);
    expect(slack.calls.filter((c) => c.method === 'chat.update')).toHaveLength(3);
  });

  it('posts nothing twice across restarts, re-polls, reordered and edited documents', async () => {
    const first = startProcess();
    serveStatuspage(feedFixture('statuspage-incidents-0-history.json'));
    await pollFeed(feed(), first.deps);
    serveStatuspage(feedFixture('statuspage-incidents-2-identified.json'));
    await pollFeed(feed(), first.deps);
    await delivered();
    const before = enqueued.length;
    expect(before).toBe(3); // root, investigating, identified

    // A restarted worker: new connections and stores, same Redis.
    const restarted = startProcess();
    clock += 60_000;
    expect(await pollFeed(feed(), restarted.deps)).toBe('unchanged'); // 304s

    // The vendor reorders the list and fixes a typo in an update: read again, nothing new.
    const document = JSON.parse(feedFixture('statuspage-incidents-2-identified.json')) as {
      incidents: { incident_updates: { body: string }[] }[];
    };
    document.incidents.reverse();
    document.incidents[2]!.incident_updates[0]!.body += ' (edited)';
    server.serve(INCIDENTS, { body: JSON.stringify(document), etag: false });
    clock += 60_000;
    expect(await pollFeed(feed(), restarted.deps)).toBe('changed');
    expect(enqueued.length).toBe(before);

    // The next real update still gets through, once.
    serveStatuspage(feedFixture('statuspage-incidents-3-monitoring.json'));
    await pollFeed(feed(), restarted.deps);
    await pollFeed(feed(), first.deps);
    await delivered();
    expect(enqueued.slice(before).map((e) => e.message.kind)).toEqual(['reply', 'update-root']);
    expect(channel()).toHaveLength(1);
    expect(channel()[0]!.replies).toHaveLength(3);
  });

  it('two workers polling the same feed at once post everything exactly once', async () => {
    const a = startProcess();
    const b = startProcess();
    serveStatuspage(feedFixture('statuspage-incidents-0-history.json'));
    await Promise.all([pollFeed(feed(), a.deps), pollFeed(feed(), b.deps)]);
    for (const stage of STAGES) {
      // No validators: both parse and relay whenever they get the lock.
      server.serve(INCIDENTS, { body: feedFixture(stage), etag: false });
      clock += 60_000;
      const outcomes = await Promise.all([pollFeed(feed(), a.deps), pollFeed(feed(), b.deps)]);
      expect(outcomes).toContain('changed');
    }
    await delivered();
    expect(enqueued.map((e) => e.message.kind).sort()).toEqual([
      'reply',
      'reply',
      'reply',
      'reply',
      'root',
      'update-root',
      'update-root',
      'update-root',
    ]);
    expect(channel()).toHaveLength(1);
  });

  it('the claims alone (no lock) keep two concurrent relays from posting twice', async () => {
    const a = startProcess();
    const b = startProcess();
    const incidents: FeedIncident[] = parseStatuspage(
      feedFixture('statuspage-incidents-4-resolved.json'),
    );
    const [ra, rb] = await Promise.all([
      relayIncidents(feed(), incidents, false, { store: a.deps.relay, sink: a.deps.sink }),
      relayIncidents(feed(), incidents, false, { store: b.deps.relay, sink: b.deps.sink }),
    ]);
    // Three incidents (one live, two from history) and their 8 updates, each queued once.
    expect(ra.roots + rb.roots).toBe(3);
    expect(ra.replies + rb.replies).toBe(8);
    expect(new Set(enqueued.map((e) => JSON.stringify(e))).size).toBe(enqueued.length);
  });

  it('a 304 costs no parse, and neither does an unchanged body from a server without validators', async () => {
    const { deps } = startProcess();
    server.serve(INCIDENTS, {
      body: feedFixture('statuspage-incidents-1-investigating.json'),
      etag: '"v1"',
    });
    server.serve(MAINTENANCES, { body: NO_MAINTENANCES, etag: false });
    expect(await pollFeed(feed(), deps)).toBe('changed');
    // Same ETag, garbage behind it: only a parse could notice, and none happens.
    server.serve(INCIDENTS, { body: '{"truncated', etag: '"v1"' });
    clock += 60_000;
    expect(await pollFeed(feed(), deps)).toBe('unchanged');
    expect(server.count(INCIDENTS)).toEqual({ total: 2, notModified: 1 });
    expect(server.count(MAINTENANCES)).toEqual({ total: 2, notModified: 0 }); // hash fallback
    expect((await deps.states.read('github')).failures).toBe(0);
  });

  it('a broken feed is reported once, backs off, and its recovery is reported once', async () => {
    const { deps } = startProcess();
    serveStatuspage(feedFixture('statuspage-incidents-0-history.json'));
    await pollFeed(feed(), deps);
    server.serve(INCIDENTS, { status: 503 });
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(await pollFeed(feed(), deps));
      outcomes.push(await pollFeed(feed(), deps)); // at once again: backing off, no request
      clock += 4 * 3600_000;
    }
    expect(outcomes).toEqual(Array(5).fill(['failed', 'backing-off']).flat());
    expect(server.count(INCIDENTS).total).toBe(6);

    serveStatuspage(feedFixture('statuspage-incidents-0-history.json'));
    expect(await pollFeed(feed(), deps)).toBe('unchanged');
    clock += 60_000;
    expect(await pollFeed(feed(), deps)).toBe('unchanged');
    await delivered();

    expect(channel()).toEqual([
      {
        text: expect.stringMatching(
          /^:white_check_mark: Status feed \*GitHub\* \(`github`\) recovered <!date.*> after 20h 0m \(it failed from <!date.*: http:\/\/127\.0\.0\.1:\d+\/api\/v2\/incidents\.json: HTTP 503\)$/,
        ),
        edited: true,
        replies: [expect.stringMatching(/^<!date.*> :white_check_mark: recovered after 20h 0m$/)],
      },
    ]);
    const report = slack.calls.find((c) => c.method === 'chat.postMessage')!;
    expect(String(report.args.text)).toMatch(
      /^:warning: Status feed \*GitHub\* \(`github`\) is failing since .*\(2 failed polls\): http:.*HTTP 503\n/,
    );
    expect(await deps.states.read('github')).toMatchObject({ failures: 0, lastOkAt: clock });
  });

  it('invalid content counts as broken, and backoff honours Retry-After', async () => {
    const { deps } = startProcess({ reportAfterFailures: 1 });
    server.serve(INCIDENTS, {
      body: '<html><body>Bad gateway</body></html>',
      contentType: 'text/html',
    });
    server.serve(MAINTENANCES, { body: NO_MAINTENANCES });
    expect(await pollFeed(feed(), deps)).toBe('failed');
    await delivered();
    expect(channel()[0]!.text).toMatch(/\(1 failed poll\): not valid JSON/);

    server.serve(INCIDENTS, { status: 429, retryAfter: '7200' });
    clock += 3600_000;
    expect(await pollFeed(feed(), deps)).toBe('failed');
    const state = await deps.states.read('github');
    expect(state.nextPollAfter).toBe(clock + 7200_000);
    clock += 3600_000;
    expect(await pollFeed(feed(), deps)).toBe('backing-off');
    expect(enqueued).toHaveLength(1); // still the one report
  });

  it('filters by component and minimum impact', async () => {
    const { deps } = startProcess();
    serveStatuspage(feedFixture('statuspage-incidents-filters.json'));
    await pollFeed(feed({ name: 'by-component', components: ['Pages', 'git operations'] }), deps);
    await pollFeed(feed({ name: 'by-impact', minImpact: 'major' }), deps);
    await pollFeed(feed({ name: 'everything' }), deps);
    const titles = (name: string) =>
      enqueued
        .filter((e) => e.thread.startsWith(`feed:${name}:`) && e.message.kind === 'root')
        .map((e) => /incident: \*(.+)\*\n/.exec(e.message.text.text)![1]);
    expect(titles('by-component')).toEqual(['Delays in Pages builds', 'Git operations failing']);
    expect(titles('by-impact')).toEqual(['Git operations failing']);
    expect(titles('everything')).toEqual([
      'Delays in Pages builds',
      'Git operations failing',
      'Disruption with some GitHub services',
    ]);
  });

  it("first poll 'none' posts nothing; an open incident appears with its next update", async () => {
    const { deps } = startProcess();
    serveStatuspage(feedFixture('statuspage-incidents-1-investigating.json'));
    await pollFeed(feed({ firstPoll: 'none' }), deps);
    expect(enqueued).toEqual([]);
    serveStatuspage(feedFixture('statuspage-incidents-2-identified.json'));
    clock += 60_000;
    await pollFeed(feed({ firstPoll: 'none' }), deps);
    expect(enqueued.map((e) => e.message.kind)).toEqual(['root', 'reply']);
    expect(enqueued[1]!.message.text.text).toContain('*Identified*');
  });

  it('relays scheduled maintenances, clearly marked; finished ones stay history', async () => {
    const { deps } = startProcess();
    serveStatuspage(
      feedFixture('statuspage-incidents-0-history.json'),
      feedFixture('statuspage-scheduled-maintenances.json'),
    );
    await pollFeed(feed(), deps);
    await delivered();
    const [maintenance, ...others] = channel();
    expect(others).toEqual([]);
    expect(maintenance!.text).toMatch(
      /^:wrench: \*GitHub\* scheduled maintenance: \*Scheduled maintenance for Codespaces\*\nstatus: \*Scheduled\* · components: Codespaces\nscheduled <!date\^1764057600\^.*> – <!date\^1764064800\^/,
    );
    expect(maintenance!.replies).toEqual([
      expect.stringContaining('*Scheduled* — Codespaces will undergo'),
    ]);
  });

  it('relays RSS and Atom feeds: unresolved entries on the first poll, new ones after', async () => {
    const { deps } = startProcess();
    server.serve('/rss/ec2-us-east-1.rss', {
      body: feedFixture('aws-health.rss'),
      contentType: 'application/rss+xml',
    });
    server.serve('/history.atom', {
      body: feedFixture('statuspage-history.atom'),
      contentType: 'application/atom+xml',
    });
    const aws = feed({
      name: 'aws-ec2',
      vendor: 'AWS EC2',
      kind: 'rss',
      url: `${server.url}/rss/ec2-us-east-1.rss`,
    });
    const atom = feed({ name: 'github-atom', kind: 'auto', url: `${server.url}/history.atom` });
    await pollFeed(aws, deps);
    await pollFeed(atom, deps);
    expect(
      enqueued
        .filter((e) => e.message.kind === 'root')
        .map((e) => e.message.text.text.split('\n')[0]),
    ).toEqual([
      ':large_blue_circle: *AWS EC2* incident: *Informational message: Elevated launch latency &amp; delayed instance status checks*',
      ':large_blue_circle: *AWS EC2* incident: *Informational message: Increased API Error Rates*',
    ]);
    // A new entry at the top of the Atom history is news, even resolved.
    const fresh = feedFixture('statuspage-history.atom').replace(
      '<entry>',
      '<entry><id>tag:x,2005:Incident/1</id><updated>2025-11-21T10:00:00Z</updated><title>Short blip</title><content type="html">&lt;p&gt;&lt;small&gt;Nov 21, 10:00 UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - Fixed.&lt;/p&gt;</content></entry><entry>',
    );
    server.serve('/history.atom', { body: fresh });
    clock += 60_000;
    enqueued.length = 0;
    expect(await pollFeed(atom, deps)).toBe('changed');
    expect(enqueued.map((e) => [e.message.kind, e.message.text.text.split('\n')[0]])).toEqual([
      ['root', ':white_check_mark: *GitHub* incident (resolved): *Short blip*'],
      ['reply', expect.stringMatching(/\*Resolved\* — Fixed\.$/)],
    ]);
  });
});
