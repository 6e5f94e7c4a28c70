/**
 * Splits the text of a slash command into words the way a shell user expects: whitespace
 * separates, single or double quotes group (Slack's "smart" quotes count as quotes), a backslash
 * escapes the next character outside single quotes. Nothing is ever expanded or executed.
 */
export class TokenizeError extends Error {}

const OPENING: Record<string, string> = {
  '"': '"',
  "'": "'",
  '“': '”',
  '‘': '’',
  '”': '”',
  '’': '’',
};

export function tokenize(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let closing: string | null = null;
  let single = false;

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (closing !== null) {
      if (ch === closing) {
        closing = null;
      } else if (ch === '\\' && !single && i + 1 < text.length) {
        current += text[++i];
      } else {
        current += ch;
      }
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (ch in OPENING) {
      closing = OPENING[ch]!;
      single = ch === "'" || ch === '‘' || ch === '’';
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (closing !== null) throw new TokenizeError(`unclosed quote: add a closing ${closing}`);
  if (inWord) words.push(current);
  return words;
}
