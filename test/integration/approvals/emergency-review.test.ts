import type IORedis from 'ioredis';
import { remindReviews } from '../../../src/approvals/emergency-review';
import { EmergencyReviews, type EmergencyReview } from '../../../src/approvals/emergency-reviews';
import { OpsdeckConfig } from '../../../src/config/schema';
import type { MessageSink } from '../../../src/notify/message-sink';
import type { OutboxMessage } from '../../../src/notify/outbox-message';
import { connectRedis, deleteRedisPrefix, testSigner, uniqueName } from '../../helpers/services';

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const HOUR = 3600_000;

const config = OpsdeckConfig.parse({
  slack: { alertChannel: 'C0ALERTS' },
  access: {
    groups: { approvers: { users: ['U0ALICE'], usergroups: ['S0APPROVE'] } },
    reviewReminderSeconds: 24 * 3600,
  },
});

function review(jobId: string, dueAt: number): EmergencyReview {
  return {
    jobId,
    command: '/deploy shop production v1 --emergency "down"',
    target: 'shop/production',
    actor: { id: 'U0CAROL', name: 'carol' },
    reason: 'down',
    breakGlassGroup: 'oncall',
    reviewers: 'approvers',
    overrides: [],
    openedAt: T0 - HOUR,
    dueAt,
  };
}

class RecordingSink implements MessageSink {
  readonly posted: { thread: string; message: OutboxMessage }[] = [];
  enqueue(thread: string, message: OutboxMessage): Promise<void> {
    this.posted.push({ thread, message });
    return Promise.resolve();
  }
}

describe('emergency reviews in Redis', () => {
  let redis: IORedis;
  let other: IORedis;
  let prefix: string;

  beforeAll(() => {
    redis = connectRedis();
    other = connectRedis();
  });
  beforeEach(() => {
    prefix = uniqueName('reviews');
  });
  afterEach(() => deleteRedisPrefix(redis, prefix));
  afterAll(() => {
    redis.disconnect();
    other.disconnect();
  });

  it('two workers reminding in the same interval post one reminder; the next interval gets its own', async () => {
    // Two processes: their own connections and stores, the same Redis prefix.
    const first = new EmergencyReviews(redis, prefix, testSigner());
    const second = new EmergencyReviews(other, prefix, testSigner());
    await first.open(review('deploy-00000000a1', T0 - HOUR));
    await first.open(review('deploy-00000000a2', T0 + HOUR));
    const sink = new RecordingSink();
    const results = await Promise.all([
      remindReviews({ config, reviews: first, outbox: sink }, T0),
      remindReviews({ config, reviews: second, outbox: sink }, T0 + 1000),
      remindReviews({ config, reviews: second, outbox: sink }, T0 + 2000),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(sink.posted).toHaveLength(1);
    const text = String(sink.posted[0]!.message.text);
    expect(text).toContain('2 emergencies wait for review, 1 *overdue*');
    expect(text).toMatch(
      /`deploy-00000000a1` on `shop\/production` by carol: down — :red_circle: \*overdue\* since/,
    );
    expect(text).toMatch(/`deploy-00000000a2` on `shop\/production` by carol: down — due <!date/);
    expect(text).toContain('<@U0ALICE> <!subteam^S0APPROVE> (approvers)');

    expect(await remindReviews({ config, reviews: second, outbox: sink }, T0 + 24 * HOUR)).toBe(
      true,
    );
    expect(sink.posted).toHaveLength(2);
  });

  it('nothing to remind: no reminder, and the interval is not used up', async () => {
    const reviews = new EmergencyReviews(redis, prefix, testSigner());
    const sink = new RecordingSink();
    expect(await remindReviews({ config, reviews, outbox: sink }, T0)).toBe(false);
    await reviews.open(review('deploy-00000000b1', T0 + HOUR));
    expect(await remindReviews({ config, reviews, outbox: sink }, T0 + 1000)).toBe(true);
    expect(sink.posted).toHaveLength(1);
  });

  it('opens once, closes once, and ignores a record opsdeck did not write', async () => {
    const reviews = new EmergencyReviews(redis, prefix, testSigner());
    const open = review('deploy-00000000c1', T0 + HOUR);
    expect(await reviews.open(open)).toBe(true);
    expect(await reviews.open({ ...open, reason: 'again' })).toBe(false);
    const bob = { id: 'U0BOB', name: 'bob' };
    const closes = await Promise.all([
      reviews.close(open.jobId, bob, T0),
      reviews.close(open.jobId, { id: 'U0ALICE', name: 'alice' }, T0),
    ]);
    expect(closes.filter(Boolean)).toHaveLength(1);
    expect(await reviews.listOpen()).toEqual([]);
    expect(await reviews.get(open.jobId)).toMatchObject({ state: 'reviewed', review: open });

    // Written into Redis by hand, without the key: never listed nor acted on.
    const forged = review('deploy-00000000c2', T0 + HOUR);
    await redis.hset(
      `${prefix}:review:${forged.jobId}`,
      'record',
      JSON.stringify(forged),
      'mac',
      'v1.0000000000000000.x',
      'state',
      'open',
    );
    await redis.zadd(`${prefix}:reviews:open`, forged.dueAt, forged.jobId);
    expect(await reviews.get(forged.jobId)).toBeUndefined();
    expect(await reviews.listOpen()).toEqual([]);
  });
});
