import { formatDuration } from '../util/duration';
import { date, join, md, type Mrkdwn } from '../slack/mrkdwn';
import type { Incident } from './replica-health';

/**
 * The replica watch's Slack texts, built by the rendering layer: replica names come from the
 * config, error texts and coordinates from the servers; all of it is text, escaped, so a server's
 * error can never mention anyone or smuggle a link.
 */

const EMOJI = { error: ':red_circle:', warning: ':warning:' } as const;

/** The body of an incident: diagnostics and what to do. */
function details(incident: Incident): Mrkdwn {
  return join(
    [
      ...incident.diagnostics.map((line) => md`> ${line}`),
      md`*What to do*`,
      ...incident.actions.map((line) => md`• ${line}`),
    ],
    '\n',
  );
}

/** The root of an incident's thread. */
export function incidentRootText(incident: Incident, openedAt: number): Mrkdwn {
  return md`${EMOJI[incident.severity]} *Replica watch*: ${incident.title} (since ${date(openedAt)})
${details(incident)}`;
}

/** A change within an open incident (stopped → error 1236), in its thread. */
export function incidentUpdateText(incident: Incident, at: number): Mrkdwn {
  return md`${date(at)} ${EMOJI[incident.severity]} now: ${incident.title}
${details(incident)}`;
}

/** The root, edited when the incident is over. */
export function recoveredRootText(title: string, openedAt: number, at: number): Mrkdwn {
  return md`:white_check_mark: *Replica watch*: recovered after ${formatDuration(at - openedAt)} (${date(openedAt)} – ${date(at)}): ${title}`;
}

export function recoveredReplyText(openedAt: number, at: number): Mrkdwn {
  return md`${date(at)} :white_check_mark: recovered after ${formatDuration(at - openedAt)}`;
}
