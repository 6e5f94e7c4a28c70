import { freePort } from '../../devkit/sandbox/free-port';
import { adversarialFeed } from '../helpers/adversarial-feed';
import { ALERT_CHANNEL, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { FeedServer } from '../helpers/feed-server';

/**
 * Fault injection: a vendor (or a man in the middle) sends a 2 MB feed document built to be as
 * costly as possible to read, changed on every poll so every poll parses it, while a runbook runs
 * with a short lock (5 s, renewed every 2.5 s; the default is 30 s). The runbook's lock is never lost: the job runs
 * once, never resumed, never started twice. The worker's event loop delay is read from its own
 * /metrics (prom-client's perf_hooks.monitorEventLoopDelay, reset at each scrape).
 */
const BYTES = 2 * 1024 * 1024 - 1024;
// A 2 s lock was lost once in CI (a renewal over 1 s late on a busy machine); 5 s is still a sixth
// of the default lock, and the test asserts the event loop delay stays under half of it.
const LOCK_MS = 5000;

async function eventLoopLagMax(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('opsdeck_process_nodejs_eventloop_lag_max_seconds '));
  return Number(line!.split(' ')[1]) * 1000;
}

describe.each([
  ['one worker with every role', [['--role', 'all']]],
  [
    'a runbooks worker and a feeds worker (the default split)',
    [
      ['--role', 'runbooks'],
      ['--role', 'feeds'],
    ],
  ],
])('a hostile 2 MB feed while a runbook runs: %s', (_name, workers) => {
  let server: FeedServer;
  let stack: E2eStack;
  let runbooksPort: number;
  let feedsPort: number;
  let swap: NodeJS.Timeout;

  beforeAll(async () => {
    server = await new FeedServer().start();
    const variants = [adversarialFeed(BYTES, 1), adversarialFeed(BYTES, 2)];
    let next = 0;
    const serve = () =>
      server.serve('/hostile.rss', {
        body: variants[(next += 1) % 2]!,
        etag: false,
        contentType: 'application/rss+xml',
      });
    serve();
    swap = setInterval(serve, 500);
    [runbooksPort, feedsPort] = [await freePort(), await freePort()];
    stack = await new E2eStack({
      http: { host: '127.0.0.1', port: 0, workerPort: runbooksPort, feedsWorkerPort: feedsPort },
      queue: { lockDurationMs: LOCK_MS, stalledIntervalMs: 1000, shutdownTimeoutMs: 5000 },
      feeds: {
        // Generous on a loaded machine: this test is about the runbook, not the budget.
        parseTimeoutMs: 60_000,
        list: [{ name: 'hostile', url: `${server.url}/hostile.rss`, kind: 'rss', pollSeconds: 1 }],
      },
    }).start();
    for (const args of workers) await stack.startWorker(args);
  });

  afterAll(async () => {
    clearInterval(swap);
    await stack.stop();
    await server.stop();
  });

  it('never loses the job lock: the job runs once, never resumed, and the event loop stays free', async () => {
    const res = await stack.slash('ping --ticks 15 --tick-seconds 1');
    const jobId = jobIdIn((res.body as { text: string }).text);
    const servedBefore = server.count('/hostile.rss').total;
    let worstMs = 0;
    let worstFeedsMs = 0;
    await waitFor(
      async () => {
        worstMs = Math.max(worstMs, await eventLoopLagMax(runbooksPort));
        if (workers.length > 1)
          worstFeedsMs = Math.max(worstFeedsMs, await eventLoopLagMax(feedsPort));
        return (await stack.runtime.jobs.get(jobId))?.finishedOn;
      },
      120_000,
      'the job to finish',
    );
    console.log(
      `feed-isolation (${workers.map((w) => w[1]).join(' + ')}): worst event loop delay of the runbook process ${worstMs.toFixed(0)} ms` +
        (workers.length > 1 ? `, of the feeds process ${worstFeedsMs.toFixed(0)} ms` : '') +
        `; ${server.count('/hostile.rss').total - servedBefore} hostile documents served during the job`,
    );

    const job = (await stack.runtime.jobs.get(jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.stalledCounter).toBe(0);
    expect(job.data.checkpoint).toMatchObject({ runs: 1 });
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    const count = (needle: string) => lines.filter((line) => line.includes(needle)).length;
    expect(count('*write-scratch-key* started')).toBe(1);
    expect(count('*wait* started')).toBe(1);
    expect(count('resumed after an interruption')).toBe(0);

    // The hostile documents were really read: polled during the job, each item relayed once.
    expect(server.count('/hostile.rss').total - servedBefore).toBeGreaterThanOrEqual(3);
    await waitFor(
      () =>
        stack.slack
          .messages(ALERT_CHANNEL)
          .filter((m) => !m.thread_ts && m.text.includes('hostile')).length === 3,
      60_000,
      'the three hostile items relayed',
    );
    // A sanity bound, far above what the machine's own noise reaches: BullMQ renews the lock
    // every LOCK_MS / 2, so a stall as long as that could lose it.
    expect(worstMs).toBeLessThan(LOCK_MS / 2);
  });
});
