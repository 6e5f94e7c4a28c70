import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../util/redis-client';
import { NotifyConfig } from '../config/schema';
import { redactText, redactValue } from '../log/redact';
import { DRAIN_JOB, type DrainJobData, threadKeys, threadStateRecord } from './outbox-keys';
import type { KnownBlock } from '@slack/web-api';
import type {
  OutboxEntry,
  OutboxMessage,
  SignedOutboxEntry,
  StoredMessage,
  ThreadRef,
} from './outbox-message';
import type { WorkSigner } from '../util/work-signature';
import { splitText } from './split-text';

export interface OutboxOptions {
  /** Texts longer than this become several messages (see split-text.ts). */
  maxTextLength?: number;
}

/** Drain jobs only carry a thread key; a failed one (a worker shut down mid-drain) is retried. */
const DRAIN_JOB_OPTIONS = {
  attempts: 1000,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
} as const;

/**
 * Appends a thread's entries; a root only once per thread (a `root` mark in the thread's state,
 * set with the push): a producer that enqueues its root again after a crash (a worker killed
 * between posting and remembering that it posted) adds nothing.
 */
const APPEND = `
if ARGV[1] == 'root' and redis.call('HSETNX', KEYS[2], 'root', '1') == 0 then return 0 end
for i = 2, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
return 1
`;

/**
 * The producer side of the notification outbox. `enqueue` never talks to Slack: it appends the
 * message to its thread's list in Redis and asks the notify queue to drain that thread, so a
 * Slack outage never fails or slows a runbook. The notify worker (notify-worker.ts) sends each
 * thread's messages in order.
 *
 * Text and blocks are redacted here, before they are stored, and texts over the limit are split:
 * the first part keeps the message's kind, the rest follow as replies in the thread. With blocks
 * the text is only Slack's notification fallback, so it is cut to the limit instead. Each entry
 * carries a MAC (the notify worker drops entries without a valid one).
 */
export class Outbox {
  private readonly maxTextLength: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly queue: Queue<DrainJobData>,
    private readonly signer: WorkSigner,
    options: OutboxOptions = {},
  ) {
    this.maxTextLength = options.maxTextLength ?? NotifyConfig.parse({}).maxTextLength;
  }

  /**
   * Queues `message` on its thread; a root for a thread that already has one (queued or posted)
   * is dropped, and the thread left as it is.
   */
  async enqueue(threadKey: string, message: OutboxMessage): Promise<void> {
    if (threadKey.length === 0) throw new TypeError('thread key must not be empty');
    const entries = this.prepare(message).map((prepared) => {
      const entry: OutboxEntry = { id: randomUUID(), message: prepared, enqueuedAt: Date.now() };
      const mac = this.signer.sign('outbox-entry', { threadKey, entry });
      return JSON.stringify({ ...entry, mac } satisfies SignedOutboxEntry);
    });
    const keys = threadKeys(this.prefix, threadKey);
    const appended = await this.redis.eval(
      APPEND,
      2,
      keys.messages,
      keys.state,
      message.kind,
      ...entries,
    );
    if (appended === 0) return;
    await this.queue.add(DRAIN_JOB, { threadKey }, DRAIN_JOB_OPTIONS);
  }

  /** Where the thread's root message was posted, once Slack has accepted it (and opsdeck wrote it). */
  async getThread(threadKey: string): Promise<ThreadRef | null> {
    const state = await this.redis.hgetall(threadKeys(this.prefix, threadKey).state);
    if (!state.channel || !state.ts) return null;
    const check = this.signer.check(
      'outbox-thread',
      threadStateRecord(threadKey, state),
      state.mac,
    );
    return check.ok ? { channel: state.channel, ts: state.ts } : null;
  }

  private prepare(message: OutboxMessage): StoredMessage[] {
    const text = redactText(message.text.text);
    if (message.blocks) {
      const cut =
        text.length > this.maxTextLength
          ? `${text.slice(0, this.maxTextLength - 1).replace(/[\uD800-\uDBFF]$/, '')}…`
          : text;
      return [{ ...message, text: cut, blocks: redactValue(message.blocks) as KnownBlock[] }];
    }
    const [first = '', ...rest] = splitText(text, this.maxTextLength);
    return [
      { ...message, text: first, blocks: undefined },
      ...rest.map((part) => ({ kind: 'reply' as const, text: part })),
    ];
  }
}
