import type { FeedIncident } from './feed-incident';
import type { ResolvedFeed } from '../config/feeds';
import { passesFilters } from './incident-filter';
import { incidentRootText, renderedHash, updateReplyText } from './relay-messages';
import { incidentThreadKey, type RelayStore } from './relay-store';
import { type MessageSink } from '../notify/message-sink';

export interface RelayCounts {
  roots: number;
  replies: number;
  edits: number;
}

/**
 * Relays one poll's incidents through the outbox: a root per new incident, a reply per new
 * update (oldest first), an edit of the root when it reads differently. What is new is decided by
 * atomic claims (relay-store.ts), never by comparing with the previous document, so reordering,
 * re-polls and concurrent workers change nothing.
 *
 * `firstPoll`: the feed has never been read before. Then only unresolved incidents get a thread
 * (or none, with `firstPoll: none`); the rest is recorded quietly. A quiet incident that is later
 * seen unresolved (reopened) gets its thread then, with the updates from that point on.
 *
 * A claim is taken before its message is queued: a crash in between loses that message rather
 * than ever posting one twice.
 */
export async function relayIncidents(
  feed: ResolvedFeed,
  incidents: readonly FeedIncident[],
  firstPoll: boolean,
  deps: { store: RelayStore; sink: MessageSink },
): Promise<RelayCounts> {
  const counts: RelayCounts = { roots: 0, replies: 0, edits: 0 };
  for (const incident of incidents) {
    if (!passesFilters(incident, feed)) continue;
    const text = incidentRootText(feed, incident);
    const claim = await deps.store.claim(feed.name, incident.id, {
      postIfNew: firstPoll ? feed.firstPoll === 'unresolved' && !incident.resolved : true,
      postIfQuiet: !firstPoll && !incident.resolved,
      rendered: renderedHash(text),
      updateIds: incident.updates.map((update) => update.id),
    });
    if (!claim.threaded) continue;
    const thread = incidentThreadKey(feed.name, incident.id);
    if (claim.postRoot) {
      await deps.sink.enqueue(thread, { kind: 'root', channel: feed.channel, text });
      counts.roots += 1;
    }
    for (const update of incident.updates) {
      if (!claim.newUpdateIds.has(update.id)) continue;
      await deps.sink.enqueue(thread, { kind: 'reply', text: updateReplyText(update) });
      counts.replies += 1;
    }
    if (claim.editRoot) {
      await deps.sink.enqueue(thread, { kind: 'update-root', text });
      counts.edits += 1;
    }
  }
  return counts;
}
