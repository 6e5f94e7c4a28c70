import type { KnownBlock } from '@slack/web-api';

/**
 * One message for a Slack thread. Messages are grouped by a thread key (usually the job id):
 * 'root' posts the thread's first message (chat.postMessage) and remembers its channel and ts,
 * 'reply' posts in that thread (thread_ts), 'update-root' edits the root (chat.update).
 * When `blocks` are given Slack shows them and `text` is the notification fallback.
 */
export type OutboxMessage =
  | { kind: 'root'; channel: string; text: string; blocks?: KnownBlock[] }
  | { kind: 'reply'; text: string; blocks?: KnownBlock[] }
  | { kind: 'update-root'; text: string; blocks?: KnownBlock[] };

/** What the outbox stores per message: the id tells two identical texts apart. */
export interface OutboxEntry {
  id: string;
  message: OutboxMessage;
  enqueuedAt: number;
}

/** Where a thread's root message lives once it has been posted. */
export interface ThreadRef {
  channel: string;
  ts: string;
}
