import type { MessageSink } from '../notify/message-sink';
import { section } from '../slack/blocks';
import { incidentThreadKey, type IncidentStore, type MuteStore } from './incident-store';
import {
  incidentRootBlocks,
  incidentRootText,
  escalationText,
  incidentUpdateText,
  recoveredReplyText,
  recoveredRootText,
} from './replica-alert-messages';
import type { IncidentFamily, ReplicaWatchHealth } from './replica-health';

export const INCIDENT_FAMILIES: readonly IncidentFamily[] = [
  'replica-unreachable',
  'replication',
  'lag',
  'margin',
  'writable',
  'source-unreachable',
];

export interface RelayedCounts {
  opened: number;
  updated: number;
  closed: number;
}

/**
 * Turns one check's health into alerts: per family, the open incident is settled in Redis
 * (incident-store.ts) and only the caller that claimed a change posts it: a root when it opens,
 * a reply (and the root edited) when its state changes, a reply and the root edited when it
 * recovers. A family the replica could not be checked for (its server unreachable) stays as it
 * was: no recovery is declared on missing facts.
 *
 * A claim is taken before its message is queued. An incident's root is marked once queued, and
 * queued again by the next check until it is (the outbox keeps one root per thread): a worker
 * that dies in between delays the alert by one check and never loses or doubles it. A thread
 * reply (a change of state, the recovery) whose worker dies in between is lost, never doubled.
 */
export async function relayReplicaIncidents(
  health: ReplicaWatchHealth,
  deps: {
    store: IncidentStore;
    sink: MessageSink;
    channel: string;
    mutes?: MuteStore;
    escalate?: { userGroup: string; afterMinutes: number } | undefined;
  },
): Promise<RelayedCounts> {
  const mute = deps.mutes ? await deps.mutes.read(health.replica) : null;
  const muted = mute !== null && mute.until > health.at;
  const counts: RelayedCounts = { opened: 0, updated: 0, closed: 0 };
  const unknown = new Set<IncidentFamily>();
  if (health.replication === null) unknown.add('replication').add('lag').add('writable');
  if (health.margin === null && health.replication !== null) unknown.add('margin');
  // Unreachable source: not known. Binlog gone: no margin is left to warn about, and its
  // incident is not over either; the replication incident says what happened.
  if (health.incidents.some((i) => i.kind === 'source-unreachable' || i.kind === 'binlog-gone'))
    unknown.add('margin');
  for (const family of INCIDENT_FAMILIES) {
    const incident = health.incidents.find((i) => i.family === family);
    if (!incident && unknown.has(family)) continue;
    const settled = await deps.store.settle(
      health.replica,
      family,
      incident
        ? { active: true, signature: incident.signature, title: incident.title }
        : { active: false },
      health.at,
      muted,
    );
    if (settled.kind === 'none' || settled.kind === 'quiet') continue;
    const thread = incidentThreadKey(health.replica, family, settled.id);
    const escalate = deps.escalate;
    if (
      settled.kind !== 'close' &&
      escalate &&
      !muted &&
      health.at - settled.openedAt >= escalate.afterMinutes * 60_000 &&
      (await deps.store.claimMention(health.replica, family, settled.id))
    )
      await deps.sink.enqueue(thread, {
        kind: 'reply',
        text: escalationText(escalate.userGroup, settled.openedAt, health.at),
      });
    // The opening, or one whose root a worker that died after claiming it never queued.
    const rootDue =
      settled.kind === 'open' ||
      ((settled.kind === 'same' || settled.kind === 'update') && !settled.rootQueued);
    if (rootDue && incident) {
      await deps.sink.enqueue(thread, {
        kind: 'root',
        channel: deps.channel,
        text: incidentRootText(incident, settled.openedAt),
        blocks: incidentRootBlocks(incident, settled.openedAt, health),
      });
      await deps.store.markRootQueued(health.replica, family, settled.id);
      counts.opened += 1;
      continue;
    }
    if (settled.kind === 'same') continue;
    if (settled.kind === 'update' && incident) {
      await deps.sink.enqueue(thread, {
        kind: 'reply',
        text: incidentUpdateText(incident, health.at),
      });
      await deps.sink.enqueue(thread, {
        kind: 'update-root',
        text: incidentRootText(incident, settled.openedAt),
        blocks: incidentRootBlocks(incident, settled.openedAt, health),
      });
      counts.updated += 1;
    } else if (settled.kind === 'close') {
      await deps.sink.enqueue(thread, {
        kind: 'reply',
        text: recoveredReplyText(settled.openedAt, health.at),
      });
      await deps.sink.enqueue(thread, {
        kind: 'update-root',
        text: recoveredRootText(settled.title, settled.openedAt, health.at),
        // Without its buttons: nothing is left to reseed or mute.
        blocks: [section(recoveredRootText(settled.title, settled.openedAt, health.at))],
      });
      counts.closed += 1;
    }
  }
  return counts;
}
