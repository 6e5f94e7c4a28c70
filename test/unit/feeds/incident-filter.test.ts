import type { FeedIncident } from '../../../src/feeds/feed-incident';
import { passesFilters } from '../../../src/feeds/incident-filter';

function incident(overrides: Partial<FeedIncident>): FeedIncident {
  return {
    id: 'i1',
    kind: 'incident',
    title: 't',
    status: 'investigating',
    resolved: false,
    impact: 'minor',
    components: ['Actions'],
    startedAt: 0,
    updates: [],
    ...overrides,
  };
}

describe('incident filter', () => {
  it('lets through incidents naming a configured component, case-insensitively', () => {
    const feed = { components: ['actions', 'Git Operations'], minImpact: 'none' as const };
    expect(passesFilters(incident({}), feed)).toBe(true);
    expect(passesFilters(incident({ components: ['Pages'] }), feed)).toBe(false);
    expect(passesFilters(incident({ components: [] }), feed)).toBe(false);
  });

  it('holds back incidents below the minimum impact, never maintenances or unknown impacts', () => {
    const feed = { minImpact: 'major' as const };
    expect(passesFilters(incident({ impact: 'minor' }), feed)).toBe(false);
    expect(passesFilters(incident({ impact: 'major' }), feed)).toBe(true);
    expect(passesFilters(incident({ impact: 'critical' }), feed)).toBe(true);
    expect(passesFilters(incident({ impact: null }), feed)).toBe(true);
    expect(passesFilters(incident({ kind: 'maintenance', impact: 'none' }), feed)).toBe(true);
  });
});
