import { createHash } from 'node:crypto';
import { type ChildNode, type Element, isComment, isTag, isText } from 'domhandler';
import type { FeedUpdate } from './feed-incident';
import { type HtmlDocument, nodesText, parseHtml } from './html-text';

/**
 * The updates inside one RSS item or Atom entry. Statuspage's history feeds (and others built the
 * same way) put an incident's whole timeline in the entry, newest first, one paragraph per update:
 *
 *   <p><small>Nov <var data-var='date'>20</var>, <var data-var='time'>17:04</var> UTC</small><br>
 *   <strong>Resolved</strong> - This incident has been resolved.</p>
 *
 * The entry's HTML is parsed once (html-text.ts) and such paragraphs are found in its tree, each
 * node looked at a bounded number of times whatever the markup. Each paragraph becomes an update
 * whose id hashes the entry, status and time shown (not the text), so a vendor fixing a typo
 * never makes it new. An entry without such paragraphs is one update whose status comes from its
 * words (resolved or not): a new status is a new update, edited text is not.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** At most this many updates are taken from one entry (the newest). */
const MAX_FRAGMENTS = 200;

export function entryUpdates(
  entryId: string,
  html: string,
  fallbackText: string,
  entryAt: number,
): FeedUpdate[] {
  return documentUpdates(parseHtml(html), entryId, fallbackText, entryAt);
}

/** entryUpdates on HTML already parsed (its `visits` then tell the work done). */
export function documentUpdates(
  document: HtmlDocument,
  entryId: string,
  fallbackText: string,
  entryAt: number,
): FeedUpdate[] {
  const updates: FeedUpdate[] = [];
  for (const fragment of statusFragments(document)) {
    const when = nodesText(document, fragment.small.children);
    const status = statusKey(nodesText(document, fragment.strong.children));
    if (status === '') continue;
    updates.push({
      id: updateId(entryId, status, when),
      status,
      body: withoutLeadingDash(nodesText(document, fragment.body)),
      at: fragmentTime(when, entryAt),
    });
    if (updates.length === MAX_FRAGMENTS) break;
  }
  if (updates.length > 0) return updates.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  const text = nodesText(document, document.root.children) || fallbackText;
  const status = wordsSayResolved(`${fallbackText}\n${text}`) ? 'resolved' : 'reported';
  return [{ id: updateId(entryId, status, ''), status, body: text, at: entryAt }];
}

interface StatusFragment {
  small: Element;
  strong: Element;
  /** What follows the `<strong>`: the update's text. */
  body: ChildNode[];
}

/**
 * The `<p>`s shaped `<small>when</small><br><strong>status</strong> text`, in document order. A
 * matching paragraph is not searched further (fragments never overlap); any other element is
 * searched through its children, so every node is visited once. The walk keeps its own stack.
 */
function* statusFragments(document: HtmlDocument): Generator<StatusFragment> {
  const pending: ChildNode[] = [...document.root.children].reverse();
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    document.visits += 1;
    if (!isTag(node)) continue;
    const fragment = node.name === 'p' ? asStatusFragment(document, node) : undefined;
    if (fragment) yield fragment;
    else for (let i = node.children.length - 1; i >= 0; i -= 1) pending.push(node.children[i]!);
  }
}

/** Looks at the paragraph's first children only: whitespace and comments, then small, br, strong. */
function asStatusFragment(document: HtmlDocument, p: Element): StatusFragment | undefined {
  const wanted = ['small', 'br', 'strong'];
  const found: Element[] = [];
  let index = 0;
  for (; index < p.children.length && found.length < wanted.length; index += 1) {
    const child = p.children[index]!;
    document.visits += 1;
    if (isComment(child) || (isText(child) && child.data.trim() === '')) continue;
    if (!isTag(child) || child.name !== wanted[found.length]) return undefined;
    found.push(child);
  }
  if (found.length < wanted.length) return undefined;
  return { small: found[0]!, strong: found[2]!, body: p.children.slice(index) };
}

/** `- This incident has been resolved.`: the dash between status and text is not text. */
function withoutLeadingDash(text: string): string {
  return text !== '' && '-–—'.includes(text.charAt(0)) ? text.slice(1).trimStart() : text;
}

/** `In progress` → `in_progress`, as Statuspage's JSON spells its statuses. */
export function statusKey(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 40);
}

/** Generic feeds mark the end in words: `[RESOLVED]`, "operating normally", "has been resolved". */
export function wordsSayResolved(text: string): boolean {
  return /\[resolved\]|\bresolved\b|operating normally|\bcompleted\b/i.test(text);
}

function updateId(entryId: string, status: string, when: string): string {
  return createHash('sha256').update(`${entryId}\n${status}\n${when}`).digest('hex').slice(0, 24);
}

/**
 * `Nov 20, 17:04 UTC` (no year: the entry's, or the year before when that would be in the
 * entry's future). Anything else: the entry's own time.
 */
function fragmentTime(text: string, entryAt: number): number {
  const match = /^([A-Za-z]{3})[a-z]*\s+(\d{1,2}),?\s+(\d{1,2}):(\d{2})\s*UTC$/.exec(text.trim());
  const month = match ? MONTHS.indexOf(match[1]!.toLowerCase()) : -1;
  if (!match || month < 0) return entryAt;
  const year = new Date(entryAt).getUTCFullYear();
  const at = (y: number) =>
    Date.UTC(y, month, Number(match[2]), Number(match[3]), Number(match[4]));
  const guess = at(year);
  return guess > entryAt + 24 * 3600_000 ? at(year - 1) : guess;
}
