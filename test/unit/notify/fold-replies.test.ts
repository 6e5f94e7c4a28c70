import { nextDelivery, unfoldReplies } from '../../../src/notify/fold-replies';
import type { OutboxEntry, StoredMessage } from '../../../src/notify/outbox-message';

let sequence = 0;
const entry = (message: StoredMessage): OutboxEntry => ({
  id: `m${(sequence += 1)}`,
  message,
  enqueuedAt: 1_700_000_000_000 + sequence,
});
const reply = (text: string) => entry({ kind: 'reply', text });
/** A small reproducible generator of numbers in [0, 1) for the fuzz tests. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const blocks = [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'x' } }];

describe('nextDelivery', () => {
  it('sends a lone reply as it is', () => {
    const only = reply('a');
    expect(nextDelivery([only], 100)).toEqual({ entry: only, count: 1 });
  });

  it('folds the plain replies behind a plain reply into it, a line each, keeping the first id', () => {
    const [a, b, c] = [reply('a'), reply('b\nsecond line'), reply('c')];
    expect(nextDelivery([a, b, c], 100)).toEqual({
      entry: { ...a, message: { kind: 'reply', text: 'a\nb\nsecond line\nc' } },
      count: 3,
    });
  });

  it('stops folding at the limit: exactly at it folds, one character over does not', () => {
    const [a, b, c] = [reply('aaaa'), reply('bbbb'), reply('c')];
    expect(nextDelivery([a, b, c], 9).count).toBe(2);
    expect(nextDelivery([a, b, c], 8).count).toBe(1);
    expect(nextDelivery([a, b, c], 11).count).toBe(3);
  });

  it('never folds across a root update or a message with blocks, and never folds them', () => {
    const update = entry({ kind: 'update-root', text: 'done' });
    const withBlocks = entry({ kind: 'reply', text: 'table', blocks });
    const root = entry({ kind: 'root', channel: 'C1', text: 'root' });
    const [a, b] = [reply('a'), reply('b')];
    expect(nextDelivery([a, update, b], 100)).toEqual({ entry: a, count: 1 });
    expect(nextDelivery([a, withBlocks, b], 100)).toEqual({ entry: a, count: 1 });
    expect(nextDelivery([withBlocks, a, b], 100)).toEqual({ entry: withBlocks, count: 1 });
    expect(nextDelivery([update, a], 100)).toEqual({ entry: update, count: 1 });
    expect(nextDelivery([root, a, b], 100)).toEqual({ entry: root, count: 1 });
  });

  it('sends a reply longer than the limit alone (the outbox already split what it could)', () => {
    const long = reply('x'.repeat(50));
    expect(nextDelivery([long, reply('y')], 20)).toEqual({ entry: long, count: 1 });
  });

  it('refuses an empty list', () => {
    expect(() => nextDelivery([], 100)).toThrow(RangeError);
  });

  it('keeps every line in order and never exceeds the limit once it folded (fuzz)', () => {
    const random = seededRandom(7);
    for (let run = 0; run < 500; run += 1) {
      const limit = 5 + Math.floor(random() * 60);
      const pending = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        random() < 0.15
          ? entry({ kind: 'update-root', text: 'u' })
          : reply('z'.repeat(Math.floor(random() * 30))),
      );
      const { entry: next, count } = nextDelivery(pending, limit);
      expect(count).toBeGreaterThanOrEqual(1);
      if (count > 1) {
        expect(next.message.text.length).toBeLessThanOrEqual(limit);
        expect(next.message.text).toBe(
          pending
            .slice(0, count)
            .map((e) => e.message.text)
            .join('\n'),
        );
      } else {
        expect(next).toBe(pending[0]);
      }
      const after = pending[count];
      if (
        after &&
        count >= 1 &&
        pending[0]!.message.kind === 'reply' &&
        after.message.kind === 'reply'
      )
        expect(next.message.text.length + 1 + after.message.text.length).toBeGreaterThan(limit);
    }
  });
});

describe('unfoldReplies', () => {
  const at = (seconds: number) =>
    `<!date^${seconds}^{date_short_pretty} {time_secs}|2026-11-22T04:40:0${seconds % 10}Z>`;

  it('splits a folded message before each line that starts with a date token', () => {
    const replies = [`${at(1)} one`, `${at(2)} two\nits second line`, `${at(3)} three`];
    expect(unfoldReplies(replies.join('\n'))).toEqual(replies);
  });

  it('leaves a single reply whole, and a token inside a line where it is', () => {
    expect(unfoldReplies(`${at(1)} a\nlocked since ${at(2)}`)).toEqual([
      `${at(1)} a\nlocked since ${at(2)}`,
    ]);
    expect(unfoldReplies('plain text')).toEqual(['plain text']);
  });

  it('gives back what nextDelivery folded (fuzz)', () => {
    const random = seededRandom(11);
    for (let run = 0; run < 200; run += 1) {
      const texts = Array.from(
        { length: 1 + Math.floor(random() * 8) },
        (_, i) => `${at(i)} line ${i}${random() < 0.3 ? '\nmore' : ''}`,
      );
      const { entry, count } = nextDelivery(texts.map(reply), 10_000);
      expect(count).toBe(texts.length);
      expect(unfoldReplies(entry.message.text)).toEqual(texts);
    }
  });
});
