import fc from 'fast-check';
import {
  describeCodePoint,
  findHiddenCharacter,
  hiddenCharacterProblem,
} from '../../../src/util/hidden-characters';

describe('hidden characters (Unicode Cc and Cf)', () => {
  it.each([
    ['\u202a', 'U+202A (LEFT-TO-RIGHT EMBEDDING)'],
    ['\u202b', 'U+202B (RIGHT-TO-LEFT EMBEDDING)'],
    ['\u202c', 'U+202C (POP DIRECTIONAL FORMATTING)'],
    ['\u202d', 'U+202D (LEFT-TO-RIGHT OVERRIDE)'],
    ['\u202e', 'U+202E (RIGHT-TO-LEFT OVERRIDE)'],
    ['\u2066', 'U+2066 (LEFT-TO-RIGHT ISOLATE)'],
    ['\u2067', 'U+2067 (RIGHT-TO-LEFT ISOLATE)'],
    ['\u2068', 'U+2068 (FIRST STRONG ISOLATE)'],
    ['\u2069', 'U+2069 (POP DIRECTIONAL ISOLATE)'],
    ['\u200b', 'U+200B (ZERO WIDTH SPACE)'],
    ['\u200d', 'U+200D (ZERO WIDTH JOINER)'],
    ['\u0000', 'U+0000 (NULL)'],
    ['\n', 'U+000A (LINE FEED)'],
    ['\u0085', 'U+0085'],
    ['\u{e0001}', 'U+E0001'],
  ])('finds %j and names it %s', (char, name) => {
    expect(hiddenCharacterProblem(`ab${char}c`)).toMatch(
      new RegExp(`^contains ${escape(name)} at character 3,`),
    );
  });

  it('counts positions in characters, not UTF-16 units', () => {
    expect(findHiddenCharacter('😀😀\u202e')).toEqual({ codePoint: 0x202e, position: 3 });
    expect(describeCodePoint(0x1f600)).toBe('U+1F600');
  });

  it('leaves visible text alone: letters of every script, emoji, spaces', () => {
    for (const text of ['v1.2.3', 'ünïcödé', 'שלום', 'مرحبا', '日本語', '😀', 'a b\u00a0c'])
      expect(hiddenCharacterProblem(text)).toBeNull();
  });

  it('fuzz: a problem exactly when the text holds a Cc or Cf character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(hiddenCharacterProblem(text) !== null).toBe(/[\p{Cc}\p{Cf}]/u.test(text));
      }),
      { numRuns: 3000 },
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
