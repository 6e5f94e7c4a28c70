/**
 * Splits a text too long for one Slack message into parts of at most `limit` characters.
 *
 * Parts end at line boundaries; a single line longer than a part is cut hard (never inside a
 * surrogate pair or between the backticks of a ``` fence). A part that ends inside a code block
 * closes it ("\n```") and the next part reopens it ("```\n"), so every part renders on its own.
 * Apart from those added fences the parts are consecutive slices of the text: without code
 * blocks, `parts.join('')` is the text.
 */
const FENCE = '```';
const REOPEN = `${FENCE}\n`;
const CLOSE = `\n${FENCE}`;

/** Room for the fences a part may get; below this a part could hold no text. */
export const MIN_SPLIT_LIMIT = 16;

export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < MIN_SPLIT_LIMIT) {
    throw new RangeError(`split limit must be an integer >= ${MIN_SPLIT_LIMIT}, got ${limit}`);
  }
  if (text.length <= limit) return [text];

  const parts: string[] = [];
  let piece = '';
  let openAtStart = false; // the current piece starts inside a code block
  let open = false; // the text so far ends inside a code block

  const budget = () => limit - (openAtStart ? REOPEN.length : 0) - CLOSE.length;
  const flush = () => {
    parts.push((openAtStart ? REOPEN : '') + piece + (open ? CLOSE : ''));
    piece = '';
    openAtStart = open;
  };
  const append = (chunk: string) => {
    piece += chunk;
    if (countFences(chunk) % 2 === 1) open = !open;
  };

  for (const line of text.split(/(?<=\n)/)) {
    let rest = line;
    while (rest.length > 0) {
      if (piece.length + rest.length <= budget()) {
        append(rest);
        rest = '';
      } else if (piece.length > 0) {
        flush();
      } else {
        const cut = safeCut(rest, budget());
        append(rest.slice(0, cut));
        rest = rest.slice(cut);
        flush();
      }
    }
  }
  if (piece.length > 0) flush();
  return parts;
}

/** Non-overlapping ``` occurrences, left to right (a run of k backticks holds floor(k/3)). */
export function countFences(text: string): number {
  let count = 0;
  for (let at = text.indexOf(FENCE); at !== -1; at = text.indexOf(FENCE, at + FENCE.length)) {
    count += 1;
  }
  return count;
}

/**
 * The largest cut <= max that keeps fences whole (inside a run of backticks only after a
 * multiple of three from its start) and surrogate pairs together.
 */
function safeCut(line: string, max: number): number {
  let cut = max;
  if (line[cut - 1] === '`' && line[cut] === '`') {
    let runStart = cut - 1;
    while (runStart > 0 && line[runStart - 1] === '`') runStart -= 1;
    cut = runStart + FENCE.length * Math.floor((cut - runStart) / FENCE.length);
  }
  const code = line.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}
