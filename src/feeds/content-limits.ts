import { ErrorCode, FeedError } from '../errors';

/**
 * Cheap linear checks run on a feed's text before any parser sees it, so a hostile or broken
 * document is refused with a clear reason instead of exhausting the parser: nesting deeper than
 * any real feed, and (XML) a DOCTYPE, where entity-expansion attacks live. Size is capped
 * earlier, while the body streams in (fetch-feed.ts).
 */

/** Statuspage JSON nests about 5 levels and RSS/Atom about 6; anything near this is not a feed. */
export const MAX_DEPTH = 64;

export function assertJsonWithinLimits(text: string, maxDepth = MAX_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxDepth) throw tooDeep(maxDepth);
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
}

export function assertXmlWithinLimits(text: string, maxDepth = MAX_DEPTH): void {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) {
    throw new FeedError(
      ErrorCode.FeedInvalid,
      'XML with a DOCTYPE or entity declarations is refused (feeds need neither)',
    );
  }
  let depth = 0;
  let at = text.indexOf('<');
  while (at !== -1) {
    const next = text.charCodeAt(at + 1);
    let end: number;
    if (text.startsWith('<!--', at)) {
      end = text.indexOf('-->', at + 4);
      if (end === -1) break;
      end += 2;
    } else if (text.startsWith('<![CDATA[', at)) {
      end = text.indexOf(']]>', at + 9);
      if (end === -1) break;
      end += 2;
    } else {
      end = text.indexOf('>', at + 1);
      if (end === -1) break;
      if (next === 0x2f /* </ */) depth -= 1;
      else if (
        next !== 0x3f /* <? */ &&
        next !== 0x21 /* <! */ &&
        text.charCodeAt(end - 1) !== 0x2f
      ) {
        depth += 1;
        if (depth > maxDepth) throw tooDeep(maxDepth);
      }
    }
    at = text.indexOf('<', end + 1);
  }
}

function tooDeep(maxDepth: number): FeedError {
  return new FeedError(ErrorCode.FeedInvalid, `document nested deeper than ${maxDepth} levels`);
}
