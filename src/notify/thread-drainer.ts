import { randomUUID } from 'node:crypto';
import { sleep } from '../util/sleep';
import type { WebClient } from '@slack/web-api';
import type { RedisClient } from '../util/redis-client';
import type { OpsdeckConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import { slackApiErrors, slackApiRetries, workRefused } from '../metrics/metrics';
import { describeMacFailure, type WorkSigner } from '../util/work-signature';
import { nextDelivery } from './fold-replies';
import { threadKeys, threadStateRecord } from './outbox-keys';
import type { OutboxEntry, SignedOutboxEntry, StoredMessage, ThreadRef } from './outbox-message';
import { Pacer } from './pace';
import { classifySlackError } from './slack-error';
import { backoffDelay } from '../util/backoff';

export interface ThreadDrainerOptions {
  redis: RedisClient;
  prefix: string;
  client: WebClient;
  config: OpsdeckConfig['notify'];
  logger: Logger;
  /** Checks each entry's MAC (entries without a valid one are dropped) and signs thread states. */
  signer: WorkSigner;
  /** A drainer that stops renewing (crashed) frees its thread after this long. */
  lockTtlMs?: number;
}

const DEFAULT_LOCK_TTL_MS = 15_000;
/** Where a root was posted is kept this long after its last message. */
const THREAD_STATE_TTL_SECONDS = 30 * 24 * 3600;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Removes the sent head entries (and records a posted root) only while this drainer still holds
 * the lock and the list still starts with exactly those entries.
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local count = tonumber(ARGV[7])
local head = redis.call('LRANGE', KEYS[2], 0, count - 1)
local same = #head == count
for i = 1, count do
  if head[i] ~= ARGV[7 + i] then same = false end
end
if same then redis.call('LTRIM', KEYS[2], count, -1) end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[3], 'channel', ARGV[2], 'ts', ARGV[3], 'requested', ARGV[4], 'mac', ARGV[6])
end
redis.call('EXPIRE', KEYS[3], ARGV[5])
return 1
`;

/** How many of a thread's pending messages the drainer reads at once (to fold replies). */
const FOLD_WINDOW = 50;

/** A posted root: where Slack put it, and the channel as asked for (the pacing key of the thread). */
type PostedRoot = ThreadRef & { requested: string };

interface SlackCall {
  method: 'chat.postMessage' | 'chat.update';
  scope: string;
  send: () => Promise<PostedRoot | null>;
}

/**
 * Sends one thread's pending messages to Slack, oldest first, one drainer per thread at a time;
 * plain replies that queued up behind each other go as one message (fold-replies.ts).
 *
 * The drainer takes the thread's lock (SET NX PX, renewed while it works), sends the head of the
 * list (with the replies folded into it), removes what it sent only after Slack answered, and
 * loops until the list is empty. A drain that finds the lock taken returns at once: the holder
 * releases the lock and then looks at the list again, so a message pushed while the holder was
 * finishing is picked up (by the holder, or by the drain job that came with the message if it
 * ran after the release).
 *
 * Slack failures never end the loop: 429 waits exactly Retry-After (shared through the pacer),
 * transient failures back off exponentially with jitter, forever; a message Slack refuses is
 * logged, counted and dropped.
 */
export class ThreadDrainer {
  private readonly pacer: Pacer;
  private readonly lockTtlMs: number;

  constructor(private readonly options: ThreadDrainerOptions) {
    this.pacer = new Pacer(options.redis, options.prefix);
    this.lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  }

  /**
   * Returns when the thread's list is empty or another drainer holds it. When `signal` aborts
   * (shutdown) it stops between attempts and rejects, leaving unsent messages in place.
   */
  async drain(threadKey: string, signal?: AbortSignal): Promise<void> {
    const { redis, prefix } = this.options;
    const keys = threadKeys(prefix, threadKey);
    for (;;) {
      const token = randomUUID();
      if ((await redis.set(keys.lock, token, 'PX', this.lockTtlMs, 'NX')) !== 'OK') return;
      try {
        await this.drainLocked(threadKey, token, signal);
      } finally {
        await redis.eval(RELEASE, 1, keys.lock, token);
      }
      // Anything pushed after our last look found the lock taken and was left to us.
      if ((await redis.llen(keys.messages)) === 0) return;
    }
  }

  private async drainLocked(threadKey: string, token: string, signal?: AbortSignal): Promise<void> {
    const { redis, prefix, logger } = this.options;
    const keys = threadKeys(prefix, threadKey);
    const lockLost = new AbortController();
    const renew = setInterval(() => {
      redis.eval(RENEW, 1, keys.lock, token, this.lockTtlMs).then(
        (renewed) => {
          if (renewed === 0) lockLost.abort();
        },
        (error: unknown) =>
          logger.warn({ err: error, threadKey }, 'could not renew the notify thread lock'),
      );
    }, this.lockTtlMs / 3);
    const stop = signal ? AbortSignal.any([signal, lockLost.signal]) : lockLost.signal;
    try {
      for (;;) {
        const raws = await redis.lrange(keys.messages, 0, FOLD_WINDOW - 1);
        if (raws.length === 0) return;
        // Entries are sent up to the first one opsdeck did not write; that one is dropped.
        const pending: OutboxEntry[] = [];
        for (const raw of raws) {
          const entry = this.authentic(threadKey, raw);
          if (!entry) break;
          pending.push(entry);
        }
        const { entry, count } =
          pending.length > 0
            ? nextDelivery(pending, this.options.config.maxTextLength)
            : { entry: undefined, count: 1 };
        const root = entry ? await this.deliver(threadKey, entry, stop) : null;
        const committed = await redis.eval(
          COMMIT,
          3,
          keys.lock,
          keys.messages,
          keys.state,
          token,
          root?.channel ?? '',
          root?.ts ?? '',
          root?.requested ?? '',
          THREAD_STATE_TTL_SECONDS,
          root ? this.options.signer.sign('outbox-thread', threadStateRecord(threadKey, root)) : '',
          count,
          ...raws.slice(0, count),
        );
        if (committed === 0) lockLost.abort();
        if (lockLost.signal.aborted) break;
      }
    } catch (error) {
      if (!lockLost.signal.aborted || signal?.aborted) throw error;
    } finally {
      clearInterval(renew);
    }
    logger.warn({ threadKey }, 'lost the notify thread lock; its new holder goes on');
  }

  /** The entry, if opsdeck wrote it for this thread; else null (logged and counted). */
  private authentic(threadKey: string, raw: string): OutboxEntry | null {
    let stored: Partial<SignedOutboxEntry> | null = null;
    try {
      stored = JSON.parse(raw) as Partial<SignedOutboxEntry> | null;
    } catch {
      // not JSON: dropped below like any entry without a valid MAC
    }
    const { mac, ...entry } = stored ?? {};
    const check = this.options.signer.check('outbox-entry', { threadKey, entry }, mac);
    if (check.ok) return entry as OutboxEntry;
    workRefused.inc({ kind: 'outbox-entry' });
    this.options.logger.error(
      { threadKey, reason: describeMacFailure(check.reason) },
      'outbox entry not written by opsdeck; dropped, not posted',
    );
    return null;
  }

  /** Sends one message until Slack answers; returns where a root was posted. */
  private async deliver(
    threadKey: string,
    entry: OutboxEntry,
    stop: AbortSignal,
  ): Promise<PostedRoot | null> {
    const { config, logger } = this.options;
    const log = logger.child({ threadKey, messageId: entry.id, kind: entry.message.kind });
    const call = await this.slackCall(threadKey, entry.message);
    if (!call) {
      log.error('no root message was posted for this thread; message dropped');
      return null;
    }
    const { method, scope } = call;
    const interval = method === 'chat.update' ? config.updateIntervalMs : config.postIntervalMs;
    for (let attempt = 0; ;) {
      const slot = await this.pacer.reserve(method, scope, interval);
      if (slot.waitMs > 0) await sleep(slot.waitMs, stop);
      stop.throwIfAborted();
      try {
        return await call.send();
      } catch (error) {
        const failure = classifySlackError(error);
        slackApiErrors.inc({ method, error: failure.reason });
        if (failure.kind === 'permanent') {
          log.error({ method, error: failure.reason }, 'Slack refused a message; dropped');
          return null;
        }
        slackApiRetries.inc({ method });
        if (failure.kind === 'rate-limited') {
          log.warn({ method, retryAfterMs: failure.retryAfterMs }, 'rate limited by Slack');
          await this.pacer.holdOff(method, scope, failure.retryAfterMs);
        } else {
          const delay = backoffDelay(attempt++, {
            baseDelayMs: config.retryBaseDelayMs,
            maxDelayMs: config.retryMaxDelayMs,
          });
          log.warn(
            { method, error: failure.reason, delayMs: delay },
            'Slack call failed; retrying',
          );
          await sleep(delay, stop);
        }
      }
    }
  }

  /**
   * The Web API call a message becomes, and its pacing scope: postMessage per channel (as the
   * root asked for it), update per workspace. Null for a reply or update whose root was never
   * posted (Slack refused it), which has nowhere to go.
   */
  private async slackCall(threadKey: string, message: StoredMessage): Promise<SlackCall | null> {
    const { client } = this.options;
    const common = { text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) };
    const noUnfurl = { unfurl_links: false, unfurl_media: false };
    if (message.kind === 'root') {
      const { channel } = message;
      return {
        method: 'chat.postMessage',
        scope: channel,
        send: async () => {
          const result = await client.chat.postMessage({ channel, ...noUnfurl, ...common });
          return { channel: result.channel ?? channel, ts: String(result.ts), requested: channel };
        },
      };
    }
    const thread = await this.thread(threadKey);
    if (!thread) return null;
    if (message.kind === 'reply') {
      return {
        method: 'chat.postMessage',
        scope: thread.requested,
        send: async () => {
          await client.chat.postMessage({
            channel: thread.channel,
            thread_ts: thread.ts,
            ...noUnfurl,
            ...common,
          });
          return null;
        },
      };
    }
    return {
      method: 'chat.update',
      scope: '*',
      send: async () => {
        await client.chat.update({ channel: thread.channel, ts: thread.ts, ...common });
        return null;
      },
    };
  }

  private async thread(threadKey: string): Promise<PostedRoot | null> {
    const state = await this.options.redis.hgetall(
      threadKeys(this.options.prefix, threadKey).state,
    );
    if (!state.channel || !state.ts) return null;
    const check = this.options.signer.check(
      'outbox-thread',
      threadStateRecord(threadKey, state),
      state.mac,
    );
    if (!check.ok) {
      workRefused.inc({ kind: 'outbox-thread' });
      this.options.logger.error(
        { threadKey, reason: describeMacFailure(check.reason) },
        'thread state not written by opsdeck; its messages go nowhere',
      );
      return null;
    }
    return { channel: state.channel, ts: state.ts, requested: state.requested ?? state.channel };
  }
}
