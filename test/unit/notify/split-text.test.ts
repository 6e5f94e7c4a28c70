import fc from 'fast-check';
import { countFences, splitText } from '../../../src/notify/split-text';

/** Text built from the pieces that make splitting hard: newlines, fences, backticks, emoji. */
const token = fc.constantFrom(
  ...['a', 'bc', ' ', 'word ', '\n', '\n\n', '```', '`', '``', '😀', '😀😀😀', 'x'.repeat(40)],
);
const text = fc.array(token, { maxLength: 300 }).map((tokens) => tokens.join(''));
const limit = fc.integer({ min: 16, max: 120 });

/** Everything but the fences and line breaks the splitter may add. */
const content = (s: string) => s.replace(/```/g, '').replace(/\n/g, '');
const lonelySurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const balanced = (s: string) => countFences(s) % 2 === 0;

describe('splitText', () => {
  it('returns a text within the limit unchanged', () => {
    expect(splitText('short\n```\nopen', 100)).toEqual(['short\n```\nopen']);
  });

  it('keeps every part within the limit', () => {
    fc.assert(
      fc.property(text, limit, (t, l) => {
        for (const part of splitText(t, l)) expect(part.length).toBeLessThanOrEqual(l);
      }),
    );
  });

  it('is an exact partition of a text without code blocks', () => {
    fc.assert(
      fc.property(text, limit, (t, l) => {
        const plain = t.replace(/`/g, "'");
        expect(splitText(plain, l).join('')).toBe(plain);
      }),
    );
  });

  it('preserves all content in order, adding only fences and line breaks', () => {
    fc.assert(
      fc.property(text, limit, (t, l) => {
        expect(content(splitText(t, l).join(''))).toBe(content(t));
      }),
    );
  });

  it('balances the fences of every part once the text is split', () => {
    fc.assert(
      fc.property(text, limit, (t, l) => {
        const parts = splitText(t, l);
        if (parts.length > 1) for (const part of parts) expect(balanced(part)).toBe(true);
      }),
    );
  });

  it('never breaks a surrogate pair', () => {
    fc.assert(
      fc.property(text, limit, (t, l) => {
        for (const part of splitText(t, l)) expect(part).not.toMatch(lonelySurrogate);
      }),
    );
  });

  it('cuts a long line of emoji between pairs', () => {
    const parts = splitText('😀'.repeat(50), 31);
    expect(parts.join('')).toBe('😀'.repeat(50));
    for (const part of parts) expect(part).not.toMatch(lonelySurrogate);
  });

  it('splits at line boundaries when lines fit', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${'.'.repeat(20)}\n`);
    const parts = splitText(lines.join(''), 70);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.endsWith('\n')).toBe(true);
  });

  it('closes and reopens a code block cut between parts', () => {
    const body = Array.from({ length: 6 }, (_, i) => `row ${i} ${'#'.repeat(20)}`).join('\n');
    const parts = splitText(`before\n\`\`\`\n${body}\n\`\`\`\nafter`, 80);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]).toMatch(/\n```$/);
    expect(parts[1]).toMatch(/^```\n/);
  });

  it('hard-splits one over-long line', () => {
    const parts = splitText('y'.repeat(100), 30);
    expect(parts.join('')).toBe('y'.repeat(100));
    expect(parts.length).toBe(4);
  });

  it('rejects a limit too small to hold text and fences', () => {
    expect(() => splitText('abc', 5)).toThrow(RangeError);
  });
});
