import { createHash } from 'node:crypto';
import type { FeedIncident, FeedUpdate } from './feed-incident';
import type { ResolvedFeed } from '../config/feeds';
import { formatDuration } from '../util/duration';
import { code, date, join, link, md, type Mrkdwn } from '../slack/mrkdwn';

/**
 * The Slack texts of the relay, built by the rendering layer: everything that comes from a feed
 * is text, so a feed can never mention @channel, a user or smuggle a link; lengths are capped.
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
export function incidentRootText(feed: Feed, incident: FeedIncident): Mrkdwn {
  const maintenance = incident.kind === 'maintenance';
  const emoji = incident.resolved
    ? ':white_check_mark:'
    : maintenance
      ? ':wrench:'
      : (IMPACT_EMOJI[incident.impact ?? 'none'] ?? ':large_blue_circle:');
  const what = maintenance ? 'scheduled maintenance' : 'incident';
  const facts = [md`status: *${statusLabel(incident.status)}*`];
  if (incident.impact) facts.push(md`impact: ${incident.impact}`);
  if (incident.components.length > 0)
    facts.push(md`components: ${componentList(incident.components)}`);
  const latest = incident.updates[incident.updates.length - 1];
  const times =
    maintenance && incident.scheduledUntil !== undefined
      ? [md`scheduled ${date(incident.startedAt)} – ${date(incident.scheduledUntil)}`]
      : [md`started ${date(incident.startedAt)}`];
  if (latest) times.push(md`last update ${date(latest.at)}`);
  if (incident.link) times.push(link(incident.link, 'details'));
  const resolved = incident.resolved ? ' (resolved)' : '';
  return md`${emoji} *${feed.vendor}* ${what}${resolved}: *${cut(incident.title, MAX_TITLE)}*
${join(facts, ' · ')}
${join(times, ' · ')}`;
}

/** Decides whether the root must be edited: same hash, same text. */
export function renderedHash(text: Mrkdwn): string {
  return createHash('sha256').update(text.text).digest('base64url').slice(0, 22);
}

/** One update in the thread: its time, its status, what the vendor said. */
export function updateReplyText(update: FeedUpdate): Mrkdwn {
  const body = update.body.trim();
  return body
    ? md`${date(update.at)} *${statusLabel(update.status)}* — ${cut(body, MAX_BODY)}`
    : md`${date(update.at)} *${statusLabel(update.status)}*`;
}

export function feedFailingText(
  feed: Feed & Pick<ResolvedFeed, 'url'>,
  failingSince: number,
  error: string,
  failures: number,
): Mrkdwn {
  return md`:warning: Status feed *${feed.vendor}* (${code(feed.name)}) is failing since ${date(failingSince)} (${failures} failed poll${failures === 1 ? '' : 's'}): ${cut(error, 500)}
Its incidents are not relayed until it recovers; polls back off meanwhile. One more message when it recovers.`;
}

export function feedRecoveredRootText(
  feed: Feed,
  failingSince: number,
  recoveredAt: number,
  error: string,
): Mrkdwn {
  return md`:white_check_mark: Status feed *${feed.vendor}* (${code(feed.name)}) recovered ${date(recoveredAt)} after ${formatDuration(recoveredAt - failingSince)} (it failed from ${date(failingSince)}: ${cut(error, 500)})`;
}

export function feedRecoveredReplyText(failingSince: number, recoveredAt: number): Mrkdwn {
  return md`${date(recoveredAt)} :white_check_mark: recovered after ${formatDuration(recoveredAt - failingSince)}`;
}

/** `in_progress` → `In progress`: the vendor's word, as text. */
export function statusLabel(status: string): string {
  const words = status.replace(/_/g, ' ').trim() || 'unknown';
  return words[0]!.toUpperCase() + words.slice(1);
}

function componentList(components: readonly string[]): Mrkdwn {
  const shown = components.slice(0, MAX_COMPONENTS).map((name) => cut(name, 80));
  const more = components.length - shown.length;
  return more > 0 ? md`${join(shown, ', ')} and ${more} more` : join(shown, ', ');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…` : text;
}
