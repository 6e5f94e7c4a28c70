import { date, join, md, type Mrkdwn } from '../slack/mrkdwn';
import type { ReplicaWatchHealth } from './replica-health';

/**
 * A replica's health as `/seed-slave status` and `/ops replicas` show it, from the same
 * evaluation the watch alerts on: an emoji for the worst incident, the facts, each incident with
 * what to do. Every value is text (server errors, coordinates), escaped by the rendering layer.
 */
export function healthEmoji(health: ReplicaWatchHealth): string {
  if (health.incidents.some((i) => i.severity === 'error')) return ':red_circle:';
  if (health.incidents.length > 0) return ':warning:';
  return ':large_green_circle:';
}

export function replicaHealthLines(health: ReplicaWatchHealth): Mrkdwn[] {
  return [
    md`${healthEmoji(health)} ${health.incidents.length === 0 ? 'healthy' : `${health.incidents.length} incident${health.incidents.length === 1 ? '' : 's'}`} (checked ${date(health.at)})`,
    ...health.facts.map((fact) => md`• ${fact}`),
    ...health.incidents.flatMap((incident) => [
      md`${incident.severity === 'error' ? ':red_circle:' : ':warning:'} ${incident.title}`,
      ...incident.actions.map((action) => md`    :point_right: ${action}`),
    ]),
  ];
}

/** `/ops replicas`: every configured replica as the watch last saw it. */
export function replicasListingText(
  entries: readonly { replica: string; health: ReplicaWatchHealth | null }[],
): Mrkdwn {
  if (entries.length === 0)
    return md`No replicas are configured (\`replicas\` in the config); the watch has nothing to check.`;
  const blocks = entries.map(({ replica, health }) =>
    health === null
      ? md`*${replica}*: not checked yet (the watch runs in the feeds worker)`
      : join([md`*${replica}*`, ...replicaHealthLines(health)], '\n'),
  );
  return join([md`*Replicas* (the watch's last check)`, ...blocks], '\n\n');
}
