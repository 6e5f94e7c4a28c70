import type { KnownBlock } from '@slack/web-api';
import type { Block } from '../slack/blocks';
import type { Mrkdwn } from '../slack/mrkdwn';

/**
 * One message for a Slack thread. Messages are grouped by a thread key (usually the job id):
 * 'root' posts the thread's first message (chat.postMessage) and remembers its channel and ts,
 * 'reply' posts in that thread (thread_ts), 'update-root' edits the root (chat.update).
 * When `blocks` are given Slack shows them and `text` is the notification fallback. Text and
 * blocks come from the rendering layer (src/slack/mrkdwn.ts, blocks.ts), never as plain strings.
 */
export type OutboxMessage =
  | { kind: 'root'; channel: string; text: Mrkdwn; blocks?: Block[] }
  | { kind: 'reply'; text: Mrkdwn; blocks?: Block[] }
  | { kind: 'update-root'; text: Mrkdwn; blocks?: Block[] };

/** A message as the outbox stores it in Redis (rendered, redacted) and sends it to Slack. */
export type StoredMessage =
  | { kind: 'root'; channel: string; text: string; blocks?: KnownBlock[] }
  | { kind: 'reply'; text: string; blocks?: KnownBlock[] }
  | { kind: 'update-root'; text: string; blocks?: KnownBlock[] };

/** What the outbox stores per message: the id tells two identical texts apart. */
export interface OutboxEntry {
  id: string;
  message: StoredMessage;
  enqueuedAt: number;
}

/**
 * An entry as stored in the thread's list: with a MAC over the thread key and the entry, so an
 * entry pushed into Redis by anyone but opsdeck is never posted as the bot.
 */
export interface SignedOutboxEntry extends OutboxEntry {
  mac: string;
}

/** Where a thread's root message lives once it has been posted. */
export interface ThreadRef {
  channel: string;
  ts: string;
}
