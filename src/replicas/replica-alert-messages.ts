import { MAX_BINLOG_RETENTION_HOURS } from '../mysql/binlog-source';
import { formatDuration } from '../util/duration';
import { actions, button, section, type Block } from '../slack/blocks';
import { date, join, md, mentionGroup, type Mrkdwn } from '../slack/mrkdwn';
import type { Incident, ReplicaWatchHealth } from './replica-health';

/**
 * The buttons on an alert carry the command they stand for (`/seed-slave billing onprem`,
 * `/seed-slave mute onprem`): a click runs it as the clicker through the front door, with the
 * same access rules, approvals and audit as the typed command, so a button grants nothing that
 * typing would not (src/front-door/slack-front-door.ts).
 */
export const REPLICA_COMMAND_ACTION_ID = 'replica.command';
export const MUTE_HOURS = 4;

const NAME = '[a-z][a-z0-9-]{0,39}';

/** Only these commands may ride on an alert's button: reseed, mute, raise retention. */
const BUTTON_COMMANDS = [
  new RegExp(`^/seed-slave (?!(mute|retention|status) )${NAME} ${NAME}$`),
  new RegExp(`^/seed-slave mute ${NAME} --hours ${MUTE_HOURS}$`),
  new RegExp(`^/seed-slave retention ${NAME} --hours ${MAX_BINLOG_RETENTION_HOURS}$`),
];

export function isReplicaButtonCommand(value: string): boolean {
  return BUTTON_COMMANDS.some((command) => command.test(value));
}

/**
 * The root with its buttons: Reseed where only a reseed helps, Raise retention where the margin
 * is short on an RDS source, Mute 4 h on every incident.
 */
export function incidentRootBlocks(
  incident: Incident,
  openedAt: number,
  health: Pick<ReplicaWatchHealth, 'replica' | 'source'>,
): Block[] {
  const reseed =
    incident.kind === 'binlog-gone' ||
    incident.kind === 'broken' ||
    incident.kind === 'not-replicating';
  return [
    section(incidentRootText(incident, openedAt)),
    actions([
      ...(reseed
        ? [
            button({
              actionId: REPLICA_COMMAND_ACTION_ID,
              label: 'Reseed',
              style: 'danger' as const,
              value: `/seed-slave ${health.source} ${health.replica}`,
            }),
          ]
        : []),
      ...(incident.raiseRetention
        ? [
            button({
              actionId: REPLICA_COMMAND_ACTION_ID,
              label: 'Raise retention',
              style: 'primary' as const,
              value: incident.raiseRetention,
            }),
          ]
        : []),
      button({
        actionId: REPLICA_COMMAND_ACTION_ID,
        label: `Mute ${MUTE_HOURS} h`,
        value: `/seed-slave mute ${health.replica} --hours ${MUTE_HOURS}`,
      }),
    ]),
  ];
}

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

/** The one mention of the configured user group when an incident stays unresolved. */
export function escalationText(userGroup: string, openedAt: number, at: number): Mrkdwn {
  return md`${date(at)} ${mentionGroup(userGroup)} still unresolved after ${formatDuration(at - openedAt)}: please take a look`;
}
