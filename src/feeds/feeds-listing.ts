import { formatSlackDate } from '../slack/slack-date';
import type { FeedState } from './feed-state-store';
import type { ResolvedFeed } from '../config/feeds';
import { escape } from './relay-messages';
import { formatDuration } from '../util/duration';

/**
 * `/ops feeds`: each configured feed with its health, last poll and last change, and what it
 * relays where (kind, interval, filters, channel).
 */
export function feedsListingText(
  feeds: readonly { feed: ResolvedFeed; state: FeedState }[],
  now: number,
): string {
  if (feeds.length === 0)
    return 'No status feeds are configured (`feeds.list` in the config; see the README).';
  const lines = [`*Status feeds* (${feeds.length})`];
  for (const { feed, state } of feeds) {
    const filters = [
      feed.kind,
      `every ${formatDuration(feed.intervalMs)}`,
      ...(feed.components ? [`components: ${feed.components.map(escape).join(', ')}`] : []),
      ...(feed.minImpact !== 'none' ? [`impact ≥ ${feed.minImpact}`] : []),
      `to ${escape(feed.channel)}`,
    ].join(', ');
    lines.push(
      '',
      `${healthEmoji(state)} *${escape(feed.name)}* (${escape(feed.vendor)}; ${filters})`,
    );
    lines.push(`    ${healthText(state, now)}`);
  }
  return lines.join('\n');
}

function healthEmoji(state: FeedState): string {
  if (state.failures > 0) return state.reportedThread ? ':red_circle:' : ':large_orange_circle:';
  return state.lastOkAt === undefined ? ':white_circle:' : ':large_green_circle:';
}

function healthText(state: FeedState, now: number): string {
  const lastPoll = state.lastPollAt === undefined ? 'never' : formatSlackDate(state.lastPollAt);
  const lastChange =
    state.lastChangeAt === undefined ? 'never' : formatSlackDate(state.lastChangeAt);
  const base = `last poll ${lastPoll} · last change ${lastChange}`;
  if (state.failures === 0)
    return state.lastOkAt === undefined ? `not polled yet · ${base}` : `healthy · ${base}`;
  const since =
    state.failingSince === undefined ? '' : ` since ${formatSlackDate(state.failingSince)}`;
  const next =
    state.nextPollAfter !== undefined && state.nextPollAfter > now
      ? ` · next try ${formatSlackDate(state.nextPollAfter)}`
      : '';
  return `failing${since} (${state.failures} failed poll${state.failures === 1 ? '' : 's'}${state.reportedThread ? ', reported' : ''}): ${escape(state.lastError ?? 'unknown error')} · ${base}${next}`;
}
