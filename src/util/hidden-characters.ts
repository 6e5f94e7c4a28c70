/**
 * Invisible and bidirectional control characters (Unicode categories Cc and Cf): a right-to-left
 * override (U+202E) makes `v1.2.3<U+202E>4pm` read differently from what runs, a zero-width
 * space makes two names that look alike differ. Arguments that name something (identifiers,
 * refs, hosts, zones, job ids) refuse them; free text (a lock's reason) keeps them and the
 * rendering layer shows them as ⟨U+202E⟩. parse-command applies this to every argument of every
 * command, so a new command cannot forget it.
 */
const HIDDEN = /[\p{Cc}\p{Cf}]/u;

const NAMES: Readonly<Record<number, string>> = {
  0x0000: 'NULL',
  0x0009: 'TAB',
  0x000a: 'LINE FEED',
  0x000d: 'CARRIAGE RETURN',
  0x001b: 'ESCAPE',
  0x007f: 'DELETE',
  0x00ad: 'SOFT HYPHEN',
  0x061c: 'ARABIC LETTER MARK',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

/** `U+202E (RIGHT-TO-LEFT OVERRIDE)`: a character as the user can look it up. */
export function describeCodePoint(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[codePoint];
  return name ? `${hex} (${name})` : hex;
}

/** The first hidden character of `text` and where it is (1-based, in characters), or null. */
export function findHiddenCharacter(text: string): { codePoint: number; position: number } | null {
  let position = 0;
  for (const char of text) {
    position += 1;
    if (HIDDEN.test(char)) return { codePoint: char.codePointAt(0)!, position };
  }
  return null;
}

/** Why `text` cannot be an identifier, a ref or a name, or null when it has no hidden character. */
export function hiddenCharacterProblem(text: string): string | null {
  const found = findHiddenCharacter(text);
  if (!found) return null;
  return `contains ${describeCodePoint(found.codePoint)} at character ${found.position}, an invisible or bidirectional control character: what you read would not be what runs; type it again without it`;
}
