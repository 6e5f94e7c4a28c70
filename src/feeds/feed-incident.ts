import type { Impact } from '../config/feeds';

/**
 * An incident or a scheduled maintenance as every adapter reports it (Statuspage JSON, RSS,
 * Atom), whatever the vendor's format. Texts are plain (HTML already turned into text), not yet
 * escaped for Slack.
 */
export interface FeedIncident {
  /** The vendor's stable id: Statuspage incident id, Atom entry id, RSS guid (or link). */
  id: string;
  kind: 'incident' | 'maintenance';
  title: string;
  /** The vendor's word for where it stands, lowercase (investigating, resolved, in_progress...). */
  status: string;
  resolved: boolean;
  /** null when the format does not say (RSS, Atom). */
  impact: Impact | null;
  /** Statuspage components, or RSS/Atom categories. */
  components: string[];
  link?: string;
  /** When it started (or, for a maintenance, when it is scheduled to start), ms since the epoch. */
  startedAt: number;
  /** A maintenance's announced end. */
  scheduledUntil?: number;
  /** Oldest first. */
  updates: FeedUpdate[];
}

export interface FeedUpdate {
  /** Stable across polls and edits of the text: what "already posted" is decided by. */
  id: string;
  status: string;
  body: string;
  at: number;
}

/** Statuses after which nothing more is expected (Statuspage's, and the generic words). */
const FINISHED = new Set(['resolved', 'postmortem', 'completed', 'closed']);

export function isFinishedStatus(status: string): boolean {
  return FINISHED.has(status);
}

/**
 * The same incident seen twice in one poll (a feed listing it in two places, or reordered
 * copies) counts once: the copy with the most updates wins. Sorted by start, oldest first.
 */
export function dedupeIncidents(incidents: readonly FeedIncident[]): FeedIncident[] {
  const byId = new Map<string, FeedIncident>();
  for (const incident of incidents) {
    const seen = byId.get(incident.id);
    if (!seen || incident.updates.length > seen.updates.length) byId.set(incident.id, incident);
  }
  return [...byId.values()].sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
}
