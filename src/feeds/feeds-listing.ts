import type { FeedState } from './feed-state-store';
import type { ResolvedFeed } from '../config/feeds';
import { formatDuration } from '../util/duration';
import { date, join, md, type Mrkdwn } from '../slack/mrkdwn';

/**
 * `/ops feeds`: each configured feed with its health, last poll and last change, and what it
 * relays where (kind, interval, filters, channel).
 */
export function feedsListingText(
  feeds: readonly { feed: ResolvedFeed; state: FeedState }[],
  now: number,
): Mrkdwn {
  if (feeds.length === 0)
    return md`No status feeds are configured (\`feeds.list\` in the config; see the README).`;
  const lines = [md`*Status feeds* (${feeds.length})`];
  for (const { feed, state } of feeds) {
    const filters = join(
      [
        feed.kind,
        `every ${formatDuration(feed.intervalMs)}`,
        ...(feed.components ? [`components: ${feed.components.join(', ')}`] : []),
        ...(feed.minImpact !== 'none' ? [`impact ≥ ${feed.minImpact}`] : []),
        `to ${feed.channel}`,
      ],
      ', ',
    );
    lines.push(md``, md`${feedHealthEmoji(state)} *${feed.name}* (${feed.vendor}; ${filters})`);
    lines.push(md`    ${feedHealthText(state, now)}`);
  }
  return join(lines, '\n');
}

/** A feed's health at a glance (`/ops feeds`, the Home tab). */
export function feedHealthEmoji(state: FeedState): string {
  if (state.failures > 0) return state.reportedThread ? ':red_circle:' : ':large_orange_circle:';
  return state.lastOkAt === undefined ? ':white_circle:' : ':large_green_circle:';
}

/** Healthy or failing since when and why, the last poll and change; the error is outside text. */
export function feedHealthText(state: FeedState, now: number): Mrkdwn {
  const lastPoll = state.lastPollAt === undefined ? md`never` : date(state.lastPollAt);
  const lastChange = state.lastChangeAt === undefined ? md`never` : date(state.lastChangeAt);
  const base = md`last poll ${lastPoll} · last change ${lastChange}`;
  if (state.failures === 0)
    return state.lastOkAt === undefined ? md`not polled yet · ${base}` : md`healthy · ${base}`;
  const since = state.failingSince === undefined ? md`` : md` since ${date(state.failingSince)}`;
  const next =
    state.nextPollAfter !== undefined && state.nextPollAfter > now
      ? md` · next try ${date(state.nextPollAfter)}`
      : md``;
  const polls = `${state.failures} failed poll${state.failures === 1 ? '' : 's'}${state.reportedThread ? ', reported' : ''}`;
  return md`failing${since} (${polls}): ${state.lastError ?? 'unknown error'} · ${base}${next}`;
}
