import { createHash } from 'node:crypto';
import { parseFeed } from 'feedsmith';
import { ErrorCode, FeedError } from '../errors';
import { assertXmlWithinLimits } from './content-limits';
import { entryUpdates } from './entry-updates';
import { isFinishedStatus, type FeedIncident } from './feed-incident';
import { decodeEntities } from './html-text';

/**
 * RSS 2.0 and Atom status feeds, parsed by feedsmith (which never expands entities; the DOCTYPE
 * and depth checks before it refuse hostile documents outright). Each item or entry is one
 * incident; its updates come from its content (entry-updates.ts). Categories stand for
 * components. A scheduled maintenance is recognized by its statuses or Statuspage's banner.
 */

export type SyndicationFormat = 'rss' | 'atom';

type Parsed = ReturnType<typeof parseFeed<string>>;

/** An entry as both formats reduce to before it becomes an incident. */
interface Entry {
  id: string;
  title: string;
  link?: string;
  html: string;
  categories: string[];
  publishedAt: number;
  updatedAt: number;
}

/** At most this many items or entries are read from one document (the first, newest, ones). */
const MAX_ENTRIES = 500;

const MAINTENANCE_STATUSES = new Set(['scheduled', 'in_progress', 'verifying', 'completed']);

/** Parses RSS or Atom (`expect` given: only that one); `now` dates undated entries. */
export function parseSyndication(
  text: string,
  expect: SyndicationFormat | undefined,
  now: number,
): FeedIncident[] {
  assertXmlWithinLimits(text);
  let parsed: Parsed;
  try {
    parsed = parseFeed<string>(text, { maxItems: MAX_ENTRIES });
  } catch (error) {
    throw new FeedError(ErrorCode.FeedInvalid, 'not a valid RSS or Atom document', {
      cause: error,
    });
  }
  if ((parsed.format !== 'rss' && parsed.format !== 'atom') || (expect && parsed.format !== expect))
    throw new FeedError(
      ErrorCode.FeedInvalid,
      `expected ${expect ?? 'RSS or Atom'}, got a ${parsed.format} document`,
    );
  const entries =
    parsed.format === 'rss' ? rssEntries(parsed.feed, now) : atomEntries(parsed.feed, now);
  return entries.map(toIncident);
}

function rssEntries(feed: Extract<Parsed, { format: 'rss' }>['feed'], now: number): Entry[] {
  const entries: Entry[] = [];
  for (const item of feed.items ?? []) {
    const title = clean(item.title ?? '');
    const html = item.content?.encoded ?? item.description ?? '';
    const at = time(item.pubDate, now);
    const id = item.guid?.value || item.link || hashId(`${title}\n${item.pubDate ?? ''}`);
    if (!title && !html) continue;
    entries.push({
      id,
      title: title || '(untitled)',
      ...(item.link
        ? { link: item.link }
        : item.guid?.isPermaLink !== false && isUrl(item.guid?.value)
          ? { link: item.guid!.value }
          : {}),
      html,
      categories: (item.categories ?? []).map((c) => clean(c.name ?? '')).filter(Boolean),
      publishedAt: at,
      updatedAt: at,
    });
  }
  return entries;
}

function atomEntries(feed: Extract<Parsed, { format: 'atom' }>['feed'], now: number): Entry[] {
  const entries: Entry[] = [];
  for (const entry of feed.entries ?? []) {
    const title = clean(entry.title?.value ?? '');
    const links = entry.links ?? [];
    const link = (links.find((l) => !l.rel || l.rel === 'alternate') ?? links[0])?.href;
    const updatedAt = time(entry.updated, now);
    const id = entry.id || link || hashId(`${title}\n${entry.updated ?? ''}`);
    const html = entry.content?.value ?? entry.summary?.value ?? '';
    if (!title && !html) continue;
    entries.push({
      id,
      title: title || '(untitled)',
      ...(link ? { link } : {}),
      html,
      categories: (entry.categories ?? [])
        .map((c) => clean(c.label ?? c.term ?? ''))
        .filter(Boolean),
      publishedAt: time(entry.published, updatedAt),
      updatedAt,
    });
  }
  return entries;
}

function toIncident(entry: Entry): FeedIncident {
  const updates = entryUpdates(entry.id, entry.html, entry.title, entry.updatedAt);
  const latest = updates[updates.length - 1]!;
  const maintenance =
    /THIS IS A SCHEDULED EVENT/i.test(entry.html) ||
    updates.some((update) => MAINTENANCE_STATUSES.has(update.status));
  return {
    id: entry.id,
    kind: maintenance ? 'maintenance' : 'incident',
    title: entry.title,
    status: latest.status,
    resolved: isFinishedStatus(latest.status),
    impact: null,
    components: entry.categories,
    ...(entry.link ? { link: entry.link } : {}),
    startedAt: Math.min(entry.publishedAt, updates[0]!.at),
    updates,
  };
}

/** Titles often arrive entity-encoded twice (`&amp;#39;`): decode what is left, one line. */
function clean(text: string): string {
  return decodeEntities(text).replace(/\s+/g, ' ').trim();
}

function time(text: string | undefined, fallback: number): number {
  const ms = text ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? ms : fallback;
}

function isUrl(text: string | undefined): text is string {
  return !!text && /^https?:\/\//.test(text);
}

function hashId(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}
