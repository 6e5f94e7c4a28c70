import { ErrorCode } from '@slack/web-api';
import pino from 'pino';
import type { HomeFacts } from '../../../src/home/home-facts';
import { HomePublisher } from '../../../src/home/home-publisher';
import type { HomeView } from '../../../src/home/home-view';
import type { JobSummary } from '../../../src/queue/job-store';
import { waitFor } from '../../helpers/wait-for';

/** Each user's last jobs, as the stores would answer them; the tests change them. */
const lastJobs = new Map<string, JobSummary[]>();

function read(userId: string): Promise<HomeFacts> {
  return Promise.resolve({
    userId,
    at: Date.now(),
    open: [],
    openTotal: 0,
    approvals: [],
    replicas: [],
    feeds: [],
    lastJobs: lastJobs.get(userId) ?? [],
    unreadable: [],
  });
}

function finished(id: string, actor: string): JobSummary {
  return {
    id,
    state: 'completed',
    summary: 'self-test',
    command: '/ops ping',
    commandName: 'ops ping',
    actor: { id: actor, name: actor },
    requestedAt: new Date(0).toISOString(),
  };
}

describe('the Home tab publisher (src/home/home-publisher.ts)', () => {
  let publisher: HomePublisher;
  let published: { userId: string; at: number; view: HomeView }[];

  afterEach(() => publisher.stop());

  const start = (
    publish: (userId: string, view: HomeView) => Promise<void>,
    options: { publishIntervalMs?: number } = {},
  ) => {
    publisher = new HomePublisher(read, publish, pino({ level: 'silent' }), {
      debounceMs: 50,
      publishIntervalMs: 0,
      pollMs: 3_600_000,
      ...options,
    });
    publisher.start();
  };

  beforeEach(() => {
    lastJobs.clear();
    published = [];
  });

  it('publishes on open; changes within the debounce make one refresh that publishes only the views that changed', async () => {
    start(async (userId, view) => {
      published.push({ userId, at: Date.now(), view });
    });
    publisher.opened('U1');
    publisher.opened('U2');
    await waitFor(() => published.length === 2, 5000, 'both Homes published on open');

    lastJobs.set('U1', [finished('ping-0000000001', 'U1')]);
    for (let i = 0; i < 10; i += 1) publisher.changed();
    await waitFor(() => published.length === 3, 5000, "U1's Home republished");
    // Opened now, published after whatever the refresh queued before it.
    publisher.opened('U3');
    await waitFor(() => published.length === 4, 5000, "U3's Home published");

    expect(published.map((p) => p.userId)).toEqual(['U1', 'U2', 'U1', 'U3']);
    expect(JSON.stringify(published[2]!.view.blocks)).toContain('ping-0000000001');
  });

  it('holds every publish back for the Retry-After of a ratelimited answer, then publishes', async () => {
    const attempts: { userId: string; at: number }[] = [];
    start(async (userId, view) => {
      attempts.push({ userId, at: Date.now() });
      if (attempts.length === 1)
        throw Object.assign(new Error('ratelimited'), {
          code: ErrorCode.RateLimitedError,
          retryAfter: 1,
        });
      published.push({ userId, at: Date.now(), view });
    });
    publisher.opened('U1');
    publisher.opened('U2');
    await waitFor(() => published.length === 2, 10_000, 'both Homes published');

    expect(attempts.map((a) => a.userId)).toEqual(['U1', 'U2', 'U1']);
    const limited = attempts[0]!.at;
    for (const later of attempts.slice(1)) expect(later.at - limited).toBeGreaterThanOrEqual(1000);
  });
});
