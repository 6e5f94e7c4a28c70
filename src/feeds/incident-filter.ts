import type { FeedIncident } from './feed-incident';
import { IMPACTS, type ResolvedFeed } from '../config/feeds';

/**
 * Whether a feed's filters let an incident through: it names one of the configured components
 * (case-insensitive; an incident naming none does not pass while a component filter is set),
 * and its impact is at least `minImpact`. Maintenances, and incidents whose format has no impact
 * (RSS, Atom), are never held back by `minImpact`: the relay cannot judge them, so it shows them.
 */
export function passesFilters(
  incident: FeedIncident,
  feed: Pick<ResolvedFeed, 'components' | 'minImpact'>,
): boolean {
  if (feed.components) {
    const wanted = new Set(feed.components.map((name) => name.toLowerCase()));
    if (!incident.components.some((name) => wanted.has(name.toLowerCase()))) return false;
  }
  if (incident.kind === 'incident' && incident.impact !== null)
    return IMPACTS.indexOf(incident.impact) >= IMPACTS.indexOf(feed.minImpact);
  return true;
}
