import { createHash } from 'node:crypto';
import { formatSlackDate } from '../slack/slack-date';
import type { FeedIncident, FeedUpdate } from './feed-incident';
import type { ResolvedFeed } from '../config/feeds';
import { formatDuration } from '../util/duration';

/**
 * The Slack texts of the relay (mrkdwn). Everything that comes from a feed is escaped (`&`, `<`,
 * `>`), so a feed can never mention @channel, a user or smuggle a link; lengths are capped.
 */

const IMPACT_EMOJI: Record<string, string> = {
  critical: ':red_circle:',
  major: ':large_orange_circle:',
  minor: ':large_yellow_circle:',
  none: ':large_blue_circle:',
};

const MAX_TITLE = 300;
const MAX_BODY = 2500;
const MAX_COMPONENTS = 12;

type Feed = Pick<ResolvedFeed, 'name' | 'vendor'>;

/** The root of an incident's thread: what, how bad, where it stands, since when, the link. */
export function incidentRootText(feed: Feed, incident: FeedIncident): string {
  const maintenance = incident.kind === 'maintenance';
  const emoji = incident.resolved
    ? ':white_check_mark:'
    : maintenance
      ? ':wrench:'
      : (IMPACT_EMOJI[incident.impact ?? 'none'] ?? ':large_blue_circle:');
  const what = maintenance ? 'scheduled maintenance' : 'incident';
  const facts = [`status: *${statusLabel(incident.status)}*`];
  if (incident.impact) facts.push(`impact: ${incident.impact}`);
  if (incident.components.length > 0)
    facts.push(`components: ${componentList(incident.components)}`);
  const latest = incident.updates[incident.updates.length - 1];
  const times =
    maintenance && incident.scheduledUntil !== undefined
      ? [
          `scheduled ${formatSlackDate(incident.startedAt)} – ${formatSlackDate(incident.scheduledUntil)}`,
        ]
      : [`started ${formatSlackDate(incident.startedAt)}`];
  if (latest) times.push(`last update ${formatSlackDate(latest.at)}`);
  const link = safeLink(incident.link);
  if (link) times.push(`<${link}|details>`);
  return [
    `${emoji} *${escape(feed.vendor)}* ${what}${incident.resolved ? ' (resolved)' : ''}: *${escape(cut(incident.title, MAX_TITLE))}*`,
    facts.join(' · '),
    times.join(' · '),
  ].join('\n');
}

/** Decides whether the root must be edited: same hash, same text. */
export function renderedHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

/** One update in the thread: its time, its status, what the vendor said. */
export function updateReplyText(update: FeedUpdate): string {
  const body = update.body.trim();
  return `${formatSlackDate(update.at)} *${statusLabel(update.status)}*${body ? ` — ${escape(cut(body, MAX_BODY))}` : ''}`;
}

export function feedFailingText(
  feed: Feed & Pick<ResolvedFeed, 'url'>,
  failingSince: number,
  error: string,
  failures: number,
): string {
  return [
    `:warning: Status feed *${escape(feed.vendor)}* (\`${feed.name}\`) is failing since ${formatSlackDate(failingSince)} (${failures} failed poll${failures === 1 ? '' : 's'}): ${escape(cut(error, 500))}`,
    `Its incidents are not relayed until it recovers; polls back off meanwhile. One more message when it recovers.`,
  ].join('\n');
}

export function feedRecoveredRootText(
  feed: Feed,
  failingSince: number,
  recoveredAt: number,
  error: string,
): string {
  return `:white_check_mark: Status feed *${escape(feed.vendor)}* (\`${feed.name}\`) recovered ${formatSlackDate(recoveredAt)} after ${formatDuration(recoveredAt - failingSince)} (it failed from ${formatSlackDate(failingSince)}: ${escape(cut(error, 500))})`;
}

export function feedRecoveredReplyText(failingSince: number, recoveredAt: number): string {
  return `${formatSlackDate(recoveredAt)} :white_check_mark: recovered after ${formatDuration(recoveredAt - failingSince)}`;
}

/** `in_progress` → `In progress`. */
export function statusLabel(status: string): string {
  const words = status.replace(/_/g, ' ').trim() || 'unknown';
  return escape(words[0]!.toUpperCase() + words.slice(1));
}

function componentList(components: readonly string[]): string {
  const shown = components.slice(0, MAX_COMPONENTS).map((name) => escape(cut(name, 80)));
  const more = components.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** Slack's three control characters in mrkdwn. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…` : text;
}

/** Only plain http(s) links that cannot break out of Slack's <url|label> syntax. */
function safeLink(link: string | undefined): string | undefined {
  return link && /^https?:\/\/[^\s<>|]+$/.test(link) ? link : undefined;
}
