/* eslint-disable regexp/no-super-linear-backtracking -- the slow baseline the benchmark measures: lint finds its cubic expression */
import { createHash } from 'node:crypto';
import type { FeedUpdate } from '../../../src/feeds/feed-incident';
import { htmlToText } from './html-text';

/**
 * BASELINE for bench/feeds only: src/feeds/entry-updates.ts as it was before htmlparser2 (commit
 * fdb84b6), regular expressions that take cubic time and worse. Not product code.
 *
 * The updates inside one RSS item or Atom entry. Statuspage's history feeds (and others built the
 * same way) put an incident's whole timeline in the entry, newest first, one paragraph per update:
 *
 *   <p><small>Nov <var data-var='date'>20</var>, <var data-var='time'>17:04</var> UTC</small><br>
 *   <strong>Resolved</strong> - This incident has been resolved.</p>
 *
 * Each paragraph becomes an update whose id hashes the entry, status and time shown (not the
 * text), so a vendor fixing a typo never makes it new. An entry without such paragraphs is one
 * update whose status comes from its words (resolved or not): a new status is a new update,
 * edited text is not.
 */

const FRAGMENT =
  /<p>\s*<small>([\s\S]*?)<\/small>\s*<br\s*\/?>\s*<strong>([\s\S]*?)<\/strong>\s*[-–—]?\s*([\s\S]*?)<\/p>/gi;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** At most this many updates are taken from one entry (the newest). */
const MAX_FRAGMENTS = 200;

export function entryUpdates(
  entryId: string,
  html: string,
  fallbackText: string,
  entryAt: number,
): FeedUpdate[] {
  const updates: FeedUpdate[] = [];
  for (const match of html.matchAll(FRAGMENT)) {
    const when = htmlToText(match[1]!);
    const status = statusKey(htmlToText(match[2]!));
    if (status === '') continue;
    updates.push({
      id: updateId(entryId, status, when),
      status,
      body: htmlToText(match[3]!),
      at: fragmentTime(when, entryAt),
    });
    if (updates.length === MAX_FRAGMENTS) break;
  }
  if (updates.length > 0) return updates.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  const text = htmlToText(html) || fallbackText;
  const status = wordsSayResolved(`${fallbackText}\n${text}`) ? 'resolved' : 'reported';
  return [{ id: updateId(entryId, status, ''), status, body: text, at: entryAt }];
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
