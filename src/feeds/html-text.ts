import { type ChildNode, type Document, DomHandler, isTag, isText } from 'domhandler';
import { Parser } from 'htmlparser2';
import { ErrorCode, FeedError } from '../errors';
import { MAX_DEPTH } from './content-limits';

/**
 * Plain text from the HTML fragments feeds carry (RSS descriptions, Atom content), read with
 * htmlparser2 (a streaming tokenizer, each character looked at once, entities decoded by the
 * HTML tables): tags dropped, blocks on lines of their own, script and style left out,
 * runs of blanks collapsed. Not a sanitizer: the result is escaped for Slack before it is
 * posted (relay-messages.ts).
 *
 * The tree builder keeps a stack of the open elements and pays for its depth on every tag
 * (htmlparser2 shifts an array), so the HTML is refused beyond MAX_DEPTH open elements, as feed
 * documents are (content-limits.ts): nesting is the one way a few bytes buy super-linear work.
 * htmlparser2 keeps a second such stack for SVG and MathML, which an element closed without its
 * own end tag (`<div><svg></div>`, `<svg/>`) never leaves: those are counted and bounded too.
 */

/** Elements on lines of their own. */
const BLOCKS = new Set(['p', 'div', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr']);
/** Elements whose content is not text a reader sees. */
const SKIPPED = new Set(['script', 'style', 'template']);

/** The elements htmlparser2 tracks on its foreign-content stack (Parser.ts). */
const FOREIGN = new Set([
  'svg',
  'math',
  'mi',
  'mo',
  'mn',
  'ms',
  'mtext',
  'annotation-xml',
  'foreignobject',
  'desc',
  'title',
]);

/** A parsed fragment and the work spent on it: `visits` counts every node a walk looked at. */
export interface HtmlDocument {
  root: Document;
  /** Elements, texts and comments in the tree. */
  nodes: number;
  /** Node visits of every walk so far (text extraction, the fragment search of entry-updates). */
  visits: number;
}

/**
 * The open-element count is checked before each element is added: it never passes `maxDepth`;
 * nor do the foreign-content elements closed without their end tag.
 */
class BoundedDomHandler extends DomHandler {
  nodes = 0;
  private foreignLeft = 0;

  constructor(private readonly maxDepth: number) {
    super();
  }

  override onopentag(name: string, attribs: Record<string, string>): void {
    // tagStack holds the document too: its length is the depth of the element being opened.
    if (this.tagStack.length > this.maxDepth)
      throw new FeedError(
        ErrorCode.FeedInvalid,
        `HTML content nested deeper than ${this.maxDepth} elements`,
      );
    super.onopentag(name, attribs);
  }

  override onclosetag(name?: string, isImplied?: boolean): void {
    if (isImplied && name !== undefined && FOREIGN.has(name) && ++this.foreignLeft > this.maxDepth)
      throw new FeedError(
        ErrorCode.FeedInvalid,
        `HTML content with more than ${this.maxDepth} SVG or MathML elements left open`,
      );
    super.onclosetag();
  }

  protected override addNode(node: ChildNode): void {
    this.nodes += 1;
    super.addNode(node);
  }
}

export function parseHtml(html: string, maxDepth = MAX_DEPTH): HtmlDocument {
  const handler = new BoundedDomHandler(maxDepth);
  new Parser(handler, { decodeEntities: true }).end(html);
  return { root: handler.root, nodes: handler.nodes, visits: 0 };
}

export function htmlToText(html: string): string {
  const document = parseHtml(html);
  return nodesText(document, document.root.children);
}

/** The text of some nodes of `document` (a whole tree, or the children of one element). */
export function nodesText(document: HtmlDocument, nodes: readonly ChildNode[]): string {
  const parts: string[] = [];
  appendText(document, nodes, parts);
  return tidy(parts.join(''));
}

function appendText(document: HtmlDocument, nodes: readonly ChildNode[], parts: string[]): void {
  for (const node of nodes) {
    document.visits += 1;
    if (isText(node)) parts.push(node.data);
    else if (isTag(node) && !SKIPPED.has(node.name)) {
      if (node.name === 'br') parts.push('\n');
      else if (BLOCKS.has(node.name)) {
        // A block starts and ends its own lines. Depth is bounded by parseHtml, so is recursion.
        if (parts.length > 0 && !parts[parts.length - 1]!.endsWith('\n')) parts.push('\n');
        appendText(document, node.children, parts);
        parts.push('\n');
      } else appendText(document, node.children, parts);
    }
  }
}

/** Blanks collapsed within lines, lines trimmed, at most one empty line in a row, ends trimmed. */
function tidy(text: string): string {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[ \t\r\f\v\u00a0]+/g, ' ').trim();
    if (line !== '' || (lines.length > 0 && lines[lines.length - 1] !== '')) lines.push(line);
  }
  return lines.join('\n').trim();
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
};

/**
 * The entities left in a title that arrived encoded twice (`&amp;#39;`): the common names and
 * valid numeric references; anything else is left as written. Titles are text, not HTML.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X'
          ? parseInt(name.slice(2), 16)
          : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED[name.toLowerCase()] ?? whole;
  });
}
