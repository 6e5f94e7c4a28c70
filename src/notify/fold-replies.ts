import type { OutboxEntry } from './outbox-message';

/** What the drainer sends next: one entry, standing for the first `count` of the thread's list. */
export interface NextDelivery {
  entry: OutboxEntry;
  count: number;
}

const isPlainReply = (entry: OutboxEntry): boolean =>
  entry.message.kind === 'reply' && entry.message.blocks === undefined;

/**
 * The next message of a thread, with the plain replies queued right behind a plain reply folded
 * into it, one per line, up to `maxTextLength`. Slack takes about one message a second per
 * channel, so a thread that fell behind (a burst of step lines, an outage) would otherwise show
 * its latest news, the job's outcome included, only after every older line had its own second.
 * Folding keeps the order and every line (each keeps its own time), and sends nothing sooner than
 * it was queued: with no backlog each reply still goes alone. Roots, root updates and messages
 * with blocks are never folded.
 */
export function nextDelivery(pending: OutboxEntry[], maxTextLength: number): NextDelivery {
  const [head, ...rest] = pending;
  if (head === undefined) throw new RangeError('nextDelivery: no pending message');
  if (!isPlainReply(head)) return { entry: head, count: 1 };
  const texts = [head.message.text];
  let length = head.message.text.length;
  for (const entry of rest) {
    if (!isPlainReply(entry) || length + 1 + entry.message.text.length > maxTextLength) break;
    texts.push(entry.message.text);
    length += 1 + entry.message.text.length;
  }
  if (texts.length === 1) return { entry: head, count: 1 };
  return {
    entry: { ...head, message: { kind: 'reply', text: texts.join('\n') } },
    count: texts.length,
  };
}

/**
 * A thread message's replies, for a reader that shows them one by one (the console, tests). Every
 * reply of a job or feed thread starts with its Slack date token, so a folded message splits back
 * before each line that starts with one; a reply's own further lines stay with it.
 */
export function unfoldReplies(text: string): string[] {
  return text.split(/\n(?=<!date\^\d+\^)/);
}
