import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { FeedsConfig, type ResolvedFeed } from '../../../src/config/feeds';
import { syncFeedSchedulers, type PollJobData } from '../../../src/feeds/feed-schedulers';
import { startFeedRelay, type FeedRelay } from '../../../src/feeds/feeds-worker';
import { FeedStateStore } from '../../../src/feeds/feed-state-store';
import { createLogger } from '../../../src/log/logger';
import type { OutboxMessage } from '../../../src/notify/outbox-message';
import { QueueName } from '../../../src/queue/queue-names';
import { waitFor } from '../../helpers/e2e-stack';
import { FeedServer, feedFixture } from '../../helpers/feed-server';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

const logger = createLogger('silent');

describe('feed polling through BullMQ job schedulers', () => {
  let redis: IORedis;
  let prefix: string;
  let server: FeedServer;
  const relays: FeedRelay[] = [];
  const connections: IORedis[] = [];

  function feed(name: string, intervalMs: number): ResolvedFeed {
    return {
      name,
      vendor: name,
      url: `${server.url}/${name}.atom`,
      kind: 'atom',
      minImpact: 'none',
      channel: 'C0ALERT',
      firstPoll: 'unresolved',
      intervalMs,
      offsetMs: 0,
    };
  }

  beforeEach(async () => {
    redis = connectRedis();
    prefix = uniqueName('feedsched');
    server = await new FeedServer().start();
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
    await Promise.all(connections.splice(0).map((connection) => connection.quit()));
    await server.stop();
    await deleteRedisPrefix(redis, prefix);
    await redis.quit();
  });

  it('keeps one scheduler per configured feed: intervals updated, removed feeds dropped', async () => {
    const queue = new Queue<PollJobData>(QueueName.Feeds, { connection: redis, prefix });
    try {
      await syncFeedSchedulers(queue, [feed('a', 60_000), feed('b', 90_000)]);
      await syncFeedSchedulers(queue, [feed('a', 60_000), feed('b', 90_000)]); // a second worker
      await syncFeedSchedulers(queue, [feed('b', 75_000), feed('c', 120_000)]);
      const schedulers = await queue.getJobSchedulers(0, -1);
      expect(schedulers.map((s) => [s.key, s.every]).sort()).toEqual([
        ['feed:b', 75_000],
        ['feed:c', 120_000],
      ]);
    } finally {
      await queue.close();
    }
  });

  it('two relays poll each feed on its schedule, one request at a time, and relay it once', async () => {
    // Slower than the interval: polls of one feed would overlap without the per-feed lock.
    server.serve('/a.atom', { body: feedFixture('statuspage-history.atom'), delayMs: 500 });
    server.serve('/b.atom', { status: 500 });
    const enqueued: { thread: string; message: OutboxMessage }[] = [];
    const settings = FeedsConfig.parse({ reportAfterFailures: 100 });
    for (let i = 0; i < 2; i += 1) {
      const connection = connectRedis();
      connections.push(connection);
      relays.push(
        await startFeedRelay({
          connection,
          prefix,
          feeds: [feed('a', 300), feed('b', 300)],
          settings,
          sink: { enqueue: async (thread, message) => void enqueued.push({ thread, message }) },
          logger,
        }),
      );
    }
    await waitFor(() => server.count('/a.atom').notModified >= 3, 20_000, 'three 304s for feed a');
    expect(server.maxInFlight('/a.atom')).toBe(1);
    const states = new FeedStateStore(redis, prefix);
    expect(await states.read('a')).toMatchObject({
      failures: 0,
      initializedAt: expect.any(Number),
    });
    expect((await states.read('b')).failures).toBeGreaterThan(0);
    // The Atom history holds nothing unresolved: the first poll posted nothing, later ones neither.
    expect(enqueued).toEqual([]);
  });
});
