import { ErrorCode, FeedError } from '../errors';
import type { FeedIncident } from './feed-incident';
import type { ResolvedFeed } from '../config/feeds';
import { parseSyndication } from './rss-atom-adapter';
import { looksLikeJson, parseStatuspage, statuspageUrls } from './statuspage-adapter';

/** One document a feed reads each poll, and how its text becomes incidents. */
export interface FeedDocument {
  url: string;
  parse(text: string, now: number): FeedIncident[];
}

/**
 * The documents behind a feed, by kind: a Statuspage page is read through its incidents and
 * scheduled-maintenances JSON; rss and atom insist on their format; auto decides per document
 * (JSON: Statuspage; XML: RSS or Atom).
 */
export function feedDocuments(feed: Pick<ResolvedFeed, 'kind' | 'url'>): FeedDocument[] {
  switch (feed.kind) {
    case 'statuspage':
      return statuspageUrls(feed.url).map((url) => ({ url, parse: parseStatuspage }));
    case 'rss':
    case 'atom': {
      const kind = feed.kind;
      return [{ url: feed.url, parse: (text, now) => parseSyndication(text, kind, now) }];
    }
    case 'auto':
      return [{ url: feed.url, parse: parseDetected }];
  }
}

function parseDetected(text: string, now: number): FeedIncident[] {
  if (looksLikeJson(text)) return parseStatuspage(text);
  if (/^\s*</.test(text)) return parseSyndication(text, undefined, now);
  throw new FeedError(ErrorCode.FeedInvalid, 'neither JSON nor XML');
}
