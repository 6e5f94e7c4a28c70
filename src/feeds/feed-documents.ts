import { ErrorCode, FeedError } from '../errors';
import type { FeedIncident } from './feed-incident';
import type { FeedKind, ResolvedFeed } from '../config/feeds';
import { parseSyndication } from './rss-atom-adapter';
import { looksLikeJson, parseStatuspage, statuspageUrls } from './statuspage-adapter';

/** One document a feed reads each poll, and how its text becomes incidents. */
export interface FeedDocument {
  url: string;
  /** What parseFeedDocument reads it as (a feed's kind: statuspage JSON, rss, atom or auto). */
  format: FeedKind;
  parse(text: string, now: number): FeedIncident[];
}

/**
 * The documents behind a feed, by kind: a Statuspage page is read through its incidents and
 * scheduled-maintenances JSON; rss and atom insist on their format; auto decides per document
 * (JSON: Statuspage; XML: RSS or Atom).
 */
export function feedDocuments(feed: Pick<ResolvedFeed, 'kind' | 'url'>): FeedDocument[] {
  const urls = feed.kind === 'statuspage' ? statuspageUrls(feed.url) : [feed.url];
  return urls.map((url) => ({
    url,
    format: feed.kind,
    parse: (text, now) => parseFeedDocument(feed.kind, text, now),
  }));
}

/** A document's incidents; `now` dates entries without a date. */
export function parseFeedDocument(format: FeedKind, text: string, now: number): FeedIncident[] {
  switch (format) {
    case 'statuspage':
      return parseStatuspage(text);
    case 'rss':
    case 'atom':
      return parseSyndication(text, format, now);
    case 'auto':
      if (looksLikeJson(text)) return parseStatuspage(text);
      if (/^\s*</.test(text)) return parseSyndication(text, undefined, now);
      throw new FeedError(ErrorCode.FeedInvalid, 'neither JSON nor XML');
  }
}
