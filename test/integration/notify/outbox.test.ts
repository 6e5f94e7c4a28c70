import { Queue, type Worker } from 'bullmq';
import type IORedis from 'ioredis';
import type { OpsdeckConfig } from '../../../src/config/schema';
import { createLogger } from '../../../src/log/logger';
import { slackApiErrors, slackApiRetries } from '../../../src/metrics/metrics';
import { createNotifyWorker } from '../../../src/notify/notify-worker';
import { Pacer, type Slot } from '../../../src/notify/pace';
import { Outbox } from '../../../src/notify/outbox';
import { type DrainJobData, NOTIFY_QUEUE } from '../../../src/notify/outbox-keys';
import { createNotifyClient } from '../../../src/notify/slack-client';
import { ThreadDrainer } from '../../../src/notify/thread-drainer';
import {
  type FakeSlackApi,
  type FakeMessage,
  startFakeSlackApi,
} from '../../../devkit/slack/fake-slack-api';
import { connectRedis, deleteRedisPrefix, testSigner, uniqueName } from '../../helpers/services';
import { section } from '../../../src/slack/blocks';
import { md } from '../../../src/slack/mrkdwn';

const CHANNEL = 'C0ALERT';
const config: OpsdeckConfig['notify'] = {
  postIntervalMs: 20,
  updateIntervalMs: 20,
  maxTextLength: 3500,
  retryBaseDelayMs: 40,
  retryMaxDelayMs: 200,
  requestTimeoutMs: 2000,
};
const logger = createLogger('silent');

async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function counterValue(
  counter: typeof slackApiErrors | typeof slackApiRetries,
  labels: Record<string, string>,
) {
  const { values } = await counter.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return match?.value ?? 0;
}

describe('notify outbox to Slack', () => {
  let redis: IORedis;
  let prefix: string;
  let queue: Queue<DrainJobData>;
  let outbox: Outbox;
  let slack: FakeSlackApi;
  const workers: Worker[] = [];
  const connections: IORedis[] = [];

  function startWorker(overrides: Partial<OpsdeckConfig['notify']> = {}): Worker {
    const connection = connectRedis();
    connections.push(connection);
    const merged = { ...config, ...overrides };
    const worker = createNotifyWorker({
      connection,
      prefix,
      client: createNotifyClient('xoxb-test-token', merged, slack.url),
      signer: testSigner(),
      config: merged,
      logger,
    });
    workers.push(worker);
    return worker;
  }

  /** The thread of a root message: the root, then its replies in the order Slack got them. */
  function thread(rootText: string): { root: FakeMessage; replies: string[] } {
    const all = slack.messages(CHANNEL);
    const root = all.find((m) => !m.thread_ts && m.text === rootText);
    if (!root)
      throw new Error(`no root "${rootText}" in ${JSON.stringify(all.map((m) => m.text))}`);
    return { root, replies: all.filter((m) => m.thread_ts === root.ts).map((m) => m.text) };
  }

  /** A thread's reply lines: replies that queued up behind each other arrive folded, a line each. */
  const lines = (rootText: string): string[] =>
    thread(rootText).replies.flatMap((reply) => reply.split('\n'));

  const sentTexts = () => slack.calls.filter((c) => c.status === 200).map((c) => c.args.text);
  const pending = async (threadKey: string) =>
    redis.llen(`${prefix}:outbox:thread:${threadKey}:messages`);

  beforeEach(async () => {
    redis = connectRedis();
    prefix = uniqueName('notify');
    queue = new Queue<DrainJobData>(NOTIFY_QUEUE, { connection: redis, prefix });
    outbox = new Outbox(redis, prefix, queue, testSigner());
    slack = await startFakeSlackApi({ channels: { [CHANNEL]: 'devops_alert' } });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await queue.close();
    await slack.stop();
    await deleteRedisPrefix(redis, prefix);
    await Promise.all([redis, ...connections.splice(0)].map((c) => c.quit()));
  });

  it('never posts an entry pushed into a thread by someone without the key; the rest go on', async () => {
    await outbox.enqueue('job-f', { kind: 'root', channel: CHANNEL, text: md`job-f root` });
    const list = `${prefix}:outbox:thread:job-f:messages`;
    const [signed] = await redis.lrange(list, 0, 0);
    const forged = JSON.parse(signed!) as { id: string; message: { text: string } };
    await redis.rpush(
      list,
      JSON.stringify({
        ...forged,
        id: 'forged-1',
        message: { kind: 'reply', text: 'click <https://evil.example|here>' },
      }),
      JSON.stringify({ ...forged, id: 'forged-2', message: { ...forged.message, text: 'edited' } }),
    );
    await outbox.enqueue('job-f', { kind: 'reply', text: md`job-f 1` });
    startWorker();
    await waitFor('the thread drained', async () => (await redis.llen(list)) === 0);
    const texts = slack.calls.map((c) => String(c.args.text));
    expect(texts.some((t) => t.includes('evil.example') || t === 'edited')).toBe(false);
    expect(lines('job-f root')).toEqual(['job-f 1']);
  });

  it('posts the root, its replies under the root in order, and applies the final update', async () => {
    startWorker();
    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: '#devops_alert',
      text: md`restore-table: running`,
    });
    for (let i = 1; i <= 5; i += 1)
      await outbox.enqueue('job-1', { kind: 'reply', text: md`step ${i}` });
    await outbox.enqueue('job-1', {
      kind: 'reply',
      text: md`token=hunter22 xoxb-1234567890-abcdef`,
    });
    await outbox.enqueue('job-1', {
      kind: 'update-root',
      text: md`restore-table: succeeded`,
    });

    await waitFor('the final update', () => slack.calls.some((c) => c.method === 'chat.update'));
    const { root } = thread('restore-table: succeeded');
    expect(root.edited).toBeDefined();
    expect(lines('restore-table: succeeded')).toEqual([
      'step 1',
      'step 2',
      'step 3',
      'step 4',
      'step 5',
      'token=[REDACTED] [REDACTED]',
    ]);
    expect(slack.calls.at(-1)!.method).toBe('chat.update');
    await expect(outbox.getThread('job-1')).resolves.toEqual({ channel: CHANNEL, ts: root.ts });
    expect(await pending('job-1')).toBe(0);
  });

  it("posts a thread's root once: a root enqueued again (a producer resumed after a crash) adds nothing, queued or posted", async () => {
    const root = { kind: 'root', channel: '#devops_alert', text: md`approval needed` } as const;
    await outbox.enqueue('apv-1', root);
    await outbox.enqueue('apv-1', root); // again before it was sent
    expect(await pending('apv-1')).toBe(1);
    startWorker();
    await waitFor('the root', async () => (await outbox.getThread('apv-1')) !== null);
    await outbox.enqueue('apv-1', root); // and after
    await outbox.enqueue('apv-1', { kind: 'reply', text: md`waiting` });
    await waitFor('the reply', async () => (await pending('apv-1')) === 0);
    expect(slack.messages(CHANNEL).filter((m) => m.text === 'approval needed')).toHaveLength(1);
    expect(thread('approval needed').replies).toEqual(['waiting']);
  });

  it('folds replies that queued up into messages of at most the limit, in order; roots, updates and blocks go alone', async () => {
    const texts = Array.from(
      { length: 30 },
      (_, i) => `line ${String(i).padStart(2, '0')} ${'.'.repeat(40)}`,
    );
    const blocks = [section(md`table`)];
    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });
    for (const text of texts.slice(0, 20))
      await outbox.enqueue('job-1', { kind: 'reply', text: md`${text}` });
    await outbox.enqueue('job-1', {
      kind: 'reply',
      text: md`table`,
      blocks,
    });
    for (const text of texts.slice(20))
      await outbox.enqueue('job-1', { kind: 'reply', text: md`${text}` });
    await outbox.enqueue('job-1', {
      kind: 'update-root',
      text: md`root: done`,
    });
    // 48 characters a line: ten lines and their nine newlines fit in 500, eleven do not.
    startWorker({ maxTextLength: 500 });

    await waitFor('the final update', () => sentTexts().includes('root: done'));
    expect(thread('root: done').replies).toEqual([
      texts.slice(0, 10).join('\n'),
      texts.slice(10, 20).join('\n'),
      'table',
      texts.slice(20).join('\n'),
    ]);
    expect(slack.calls.map((c) => c.method)).toEqual([
      ...Array(5).fill('chat.postMessage'),
      'chat.update',
    ]);
    expect(await pending('job-1')).toBe(0);
  });

  it('waits exactly Retry-After after a 429', async () => {
    startWorker();
    slack.script('chat.postMessage', [{ status: 429, retryAfter: 1 }]);
    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });

    await waitFor('the root', () => slack.messages().length === 1);
    const [limited, retried] = slack.calls;
    expect(limited!.status).toBe(429);
    expect(retried!.status).toBe(200);
    // Redis's clock paces the retry; allow for its ms rounding against Date.now().
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(995);
    expect(retried!.at - limited!.at).toBeLessThan(2500);
  });

  it('delivers every message exactly once, in order, through 429 then 500s for a while', async () => {
    startWorker();
    const errorsBefore = await counterValue(slackApiErrors, {
      method: 'chat.postMessage',
      error: 'http_500',
    });
    const retriesBefore = await counterValue(slackApiRetries, { method: 'chat.postMessage' });
    slack.script('chat.postMessage', [{ status: 429, retryAfter: 1 }]);
    slack.failUntil(Date.now() + 2000, { status: 500 });

    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });
    const texts = Array.from({ length: 12 }, (_, i) => `line ${i}`);
    for (const text of texts) await outbox.enqueue('job-1', { kind: 'reply', text: md`${text}` });
    await outbox.enqueue('job-1', {
      kind: 'update-root',
      text: md`root: done`,
    });

    await waitFor('the final update', () => sentTexts().includes('root: done'));
    expect(lines('root: done')).toEqual(texts);
    const sent = sentTexts() as string[];
    expect(sent.flatMap((text) => text.split('\n'))).toEqual(['root', ...texts, 'root: done']);
    expect(slack.calls.filter((c) => c.status === 500).length).toBeGreaterThan(0);
    expect(
      await counterValue(slackApiErrors, { method: 'chat.postMessage', error: 'http_500' }),
    ).toBeGreaterThan(errorsBefore);
    expect(await counterValue(slackApiRetries, { method: 'chat.postMessage' })).toBeGreaterThan(
      retriesBefore,
    );
  });

  it('retries a call that timed out', async () => {
    startWorker({ requestTimeoutMs: 300 });
    slack.script('chat.postMessage', [{ delayMs: 800, status: 500 }]);
    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });

    await waitFor('the root', () => slack.messages().length === 1);
    const [slow, retried] = slack.calls;
    // The retry went out while the slow call was still unanswered: the client gave up on it.
    expect(retried!.at - slow!.at).toBeLessThan(800);
    expect(slack.messages().map((m) => m.text)).toEqual(['root']);
  });

  it('keeps two threads in order each while they interleave through an outage', async () => {
    startWorker();
    slack.failUntil(Date.now() + 1000, { status: 503 });
    const keys = ['job-a', 'job-b'];
    for (const key of keys)
      await outbox.enqueue(key, { kind: 'root', channel: CHANNEL, text: md`${key} root` });
    for (let i = 0; i < 8; i += 1) {
      for (const key of keys) await outbox.enqueue(key, { kind: 'reply', text: md`${key} ${i}` });
      if (i === 4) {
        // The worker may not have made its first (failing) call yet on a slow machine.
        await waitFor('the outage to end', () => {
          const first = slack.calls[0];
          return first !== undefined && Date.now() > first.at + 1100;
        });
      }
    }
    await waitFor(
      'both threads',
      async () => (await pending('job-a')) + (await pending('job-b')) === 0,
    );

    for (const key of keys) {
      expect(lines(`${key} root`)).toEqual(Array.from({ length: 8 }, (_, i) => `${key} ${i}`));
    }
    // Both threads were in flight at once: job-b was tried (in the outage) before job-a was done.
    const texts = slack.calls.map((c) => `${c.status} ${String(c.args.text)}`);
    const firstB = texts.findIndex((t) => / job-b/.test(t));
    const lastA = texts.map((t) => /^200 .*job-a 7/s.test(t)).lastIndexOf(true);
    expect(firstB).toBeGreaterThanOrEqual(0);
    expect(firstB).toBeLessThan(lastA);
  });

  it('keeps postMessage at least the interval apart per channel and updates per workspace, with two workers', async () => {
    const paced = { postIntervalMs: 200, updateIntervalMs: 250 };
    // The slots the workers book, by method (each on Redis's clock, as the pacer hands them out).
    const slots = new Map<string, number[]>();
    const reserve = Pacer.prototype.reserve;
    const spy = jest.spyOn(Pacer.prototype, 'reserve').mockImplementation(async function (
      this: Pacer,
      method,
      scope,
      intervalMs,
    ): Promise<Slot> {
      const slot = await reserve.call(this, method, scope, intervalMs);
      slots.set(method, [...(slots.get(method) ?? []), slot.at]);
      return slot;
    });
    startWorker(paced);
    startWorker(paced);
    const keys = ['job-a', 'job-b', 'job-c'];
    await Promise.all(
      keys.map(async (key) => {
        await outbox.enqueue(key, { kind: 'root', channel: CHANNEL, text: md`${key} root` });
        for (let i = 0; i < 2; i += 1)
          await outbox.enqueue(key, { kind: 'reply', text: md`${key} ${i}` });
        await outbox.enqueue(key, { kind: 'update-root', text: md`${key} done` });
      }),
    );
    await waitFor(
      'all threads',
      () => slack.calls.filter((c) => c.method === 'chat.update').length === 3,
    );

    spy.mockRestore();

    // 3 roots and at least one message of each thread's two replies (folded when they queued up).
    for (const key of keys) expect(lines(`${key} done`)).toEqual([`${key} 0`, `${key} 1`]);
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const gaps = (values: number[]) => values.slice(1).map((t, i) => t - values[i]!);
    for (const [method, interval] of [
      ['chat.postMessage', paced.postIntervalMs],
      ['chat.update', paced.updateIntervalMs],
    ] as const) {
      const booked = sorted(slots.get(method) ?? []);
      const arrived = sorted(slack.calls.filter((c) => c.method === method).map((c) => c.at));
      expect(arrived.length).toBeGreaterThanOrEqual(method === 'chat.update' ? 3 : 5);
      // The two workers' slots (one channel, one workspace) are the interval apart, exactly.
      for (const gap of gaps(booked)) expect(gap).toBeGreaterThanOrEqual(interval);
      // And no call reached Slack before its slot (each call books one: the i-th call to arrive
      // came no sooner than the i-th slot). How late a call is depends on the machine's load.
      expect(booked.length).toBeGreaterThanOrEqual(arrived.length);
      arrived.forEach((at, i) => expect(at).toBeGreaterThanOrEqual(booked[i]! - 2));
    }
  });

  it('sends a message pushed while the drainer was finishing (no stranded message)', async () => {
    const client = createNotifyClient('xoxb-test-token', config, slack.url);
    const other = new ThreadDrainer({
      redis,
      prefix,
      client,
      config,
      logger,
      signer: testSigner(),
    });
    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });

    // Drainer A's view of Redis: when it finds the list empty, another message is pushed and
    // its own drain runs before A releases the lock. That drain finds the lock taken and leaves.
    let raced = false;
    const racing = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'lrange') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<IORedis['lrange']>) => {
          const head = await target.lrange(...args);
          if (head.length === 0 && !raced) {
            raced = true;
            await outbox.enqueue('job-1', {
              kind: 'reply',
              text: md`late`,
            });
            await other.drain('job-1');
            expect(slack.messages().map((m) => m.text)).toEqual(['root']);
          }
          return head;
        };
      },
    });
    await new ThreadDrainer({
      redis: racing,
      prefix,
      client,
      config,
      logger,
      signer: testSigner(),
    }).drain('job-1');

    expect(raced).toBe(true);
    expect(thread('root').replies).toEqual(['late']);
    expect(await pending('job-1')).toBe(0);
  });

  it('drops and counts messages Slack refuses, and goes on', async () => {
    startWorker();
    const countOf = (error: string) =>
      counterValue(slackApiErrors, { method: 'chat.postMessage', error });
    const [notFoundBefore, invalidBefore] = [
      await countOf('channel_not_found'),
      await countOf('invalid_blocks'),
    ];

    slack.script('chat.postMessage', [{ error: 'channel_not_found' }]);
    await outbox.enqueue('job-lost', {
      kind: 'root',
      channel: '#nowhere',
      text: md`lost root`,
    });
    await outbox.enqueue('job-lost', {
      kind: 'reply',
      text: md`lost reply`,
    });
    await outbox.enqueue('job-lost', {
      kind: 'update-root',
      text: md`lost update`,
    });
    await waitFor('the lost thread to be given up', async () => (await pending('job-lost')) === 0);
    expect(slack.messages()).toEqual([]);
    await expect(outbox.getThread('job-lost')).resolves.toBeNull();

    await outbox.enqueue('job-ok', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });
    await waitFor('the root', () => slack.messages().length === 1);
    slack.script('chat.postMessage', [{ error: 'invalid_blocks' }]);
    await outbox.enqueue('job-ok', {
      kind: 'reply',
      text: md`refused`,
    });
    // Queued behind it, 'after' would be folded into the same (refused) message.
    await waitFor('the refusal', () => slack.calls.some((c) => c.args.text === 'refused'));
    await outbox.enqueue('job-ok', {
      kind: 'reply',
      text: md`after`,
    });
    await waitFor('the reply after', () => sentTexts().includes('after'));

    expect(thread('root').replies).toEqual(['after']);
    expect(await countOf('channel_not_found')).toBe(notFoundBefore + 1);
    expect(await countOf('invalid_blocks')).toBe(invalidBefore + 1);
  });

  it('splits a text over the limit into several messages of the thread', async () => {
    startWorker({ maxTextLength: 200 });
    const small = new Outbox(redis, prefix, queue, testSigner(), { maxTextLength: 200 });
    const lines = Array.from(
      { length: 40 },
      (_, i) => `row ${String(i).padStart(2, '0')} ${'.'.repeat(20)}\n`,
    );
    await small.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`${lines.slice(0, 20).join('')}`,
    });
    await small.enqueue('job-1', { kind: 'reply', text: md`${lines.slice(20).join('')}` });
    await waitFor('the thread', async () => (await pending('job-1')) === 0);

    const messages = slack.messages(CHANNEL);
    expect(messages.length).toBeGreaterThan(4);
    for (const m of messages) expect(m.text.length).toBeLessThanOrEqual(200);
    expect(messages.slice(1).every((m) => m.thread_ts === messages[0]!.ts)).toBe(true);
    expect(messages.map((m) => m.text).join('')).toBe(lines.join(''));
  });

  it('leaves unsent messages in Redis when a worker shuts down mid-outage; the next worker sends them', async () => {
    const first = startWorker();
    slack.failUntil(Date.now() + 60_000, { status: 500 });
    await outbox.enqueue('job-1', {
      kind: 'root',
      channel: CHANNEL,
      text: md`root`,
    });
    await outbox.enqueue('job-1', {
      kind: 'reply',
      text: md`reply`,
    });
    await waitFor('a failed attempt', () => slack.calls.length > 0);

    const closing = Date.now();
    await first.close();
    expect(Date.now() - closing).toBeLessThan(3000);
    expect(await pending('job-1')).toBe(2);

    slack.failUntil(0);
    startWorker();
    await waitFor('the thread', async () => (await pending('job-1')) === 0);
    expect(thread('root').replies).toEqual(['reply']);
  });
});
