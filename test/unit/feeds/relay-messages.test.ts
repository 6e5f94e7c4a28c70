import type { FeedIncident } from '../../../src/feeds/feed-incident';
import {
  feedFailingText,
  incidentRootText,
  statusLabel,
  updateReplyText,
} from '../../../src/feeds/relay-messages';

const feed = { name: 'github', vendor: 'GitHub', url: 'https://www.githubstatus.com' };
const T0 = Date.parse('2025-11-20T17:04:45Z');

function incident(overrides: Partial<FeedIncident> = {}): FeedIncident {
  return {
    id: 'i1',
    kind: 'incident',
    title: 'Disruption with Actions',
    status: 'investigating',
    resolved: false,
    impact: 'major',
    components: ['Actions', 'API Requests'],
    link: 'https://stspg.io/abc',
    startedAt: T0,
    updates: [{ id: 'u1', status: 'investigating', body: 'Looking into it', at: T0 + 60_000 }],
    ...overrides,
  };
}

describe('relay messages', () => {
  it('roots show vendor, title, impact, status, components, times as Slack dates and the link', () => {
    expect(incidentRootText(feed, incident()).text.split('\n')).toEqual([
      ':large_orange_circle: *GitHub* incident: *Disruption with Actions*',
      'status: *Investigating* · impact: major · components: Actions, API Requests',
      'started <!date^1763658285^{date_short_pretty} {time_secs}|2025-11-20T17:04:45Z> · last update <!date^1763658345^{date_short_pretty} {time_secs}|2025-11-20T17:05:45Z> · <https://stspg.io/abc|details>',
    ]);
  });

  it('says resolved, and marks scheduled maintenances with their window', () => {
    expect(incidentRootText(feed, incident({ status: 'resolved', resolved: true })).text).toMatch(
      /^:white_check_mark: \*GitHub\* incident \(resolved\): .*\nstatus: \*Resolved\*/,
    );
    const maintenance = incidentRootText(
      feed,
      incident({
        kind: 'maintenance',
        impact: null,
        status: 'scheduled',
        scheduledUntil: T0 + 7200_000,
      }),
    ).text;
    expect(maintenance).toMatch(/^:wrench: \*GitHub\* scheduled maintenance: /);
    expect(maintenance).toContain('scheduled <!date^1763658285^');
    expect(maintenance).toContain(' – <!date^1763665485^');
  });

  it('escapes what a feed says, so it cannot ping @channel, mention users or forge links', () => {
    const hostile = incident({
      title: '<!channel> <@U123> <https://evil.example|click>',
      components: ['<!here>'],
      link: 'https://ok.example/x|<evil>',
      updates: [{ id: 'u', status: '<b>', body: 'a & <!everyone>', at: T0 }],
    });
    const root = incidentRootText(feed, hostile).text;
    expect(root).not.toMatch(/<!channel>|<!here>|<@U123>|<https:\/\/evil/);
    expect(root).toContain('&lt;!channel&gt; &lt;@U123&gt;');
    expect(root).not.toContain('details>');
    expect(updateReplyText(hostile.updates[0]!).text).toBe(
      '<!date^1763658285^{date_short_pretty} {time_secs}|2025-11-20T17:04:45Z> *&lt;b&gt;* — a &amp; &lt;!everyone&gt;',
    );
  });

  it('caps long titles and bodies', () => {
    const long = incidentRootText(feed, incident({ title: 'x'.repeat(5000) }));
    expect(long.text.length).toBeLessThan(800);
    expect(
      updateReplyText({ id: 'u', status: 'identified', body: 'y'.repeat(10_000), at: T0 }).text
        .length,
    ).toBeLessThan(2700);
  });

  it('labels statuses for people and reports a failing feed once with its reason', () => {
    expect(statusLabel('in_progress')).toBe('In progress');
    expect(statusLabel('')).toBe('Unknown');
    expect(feedFailingText(feed, T0, 'HTTP 503', 3).text).toMatch(
      /^:warning: Status feed \*GitHub\* \(`github`\) is failing since <!date\^1763658285\^.*\(3 failed polls\): HTTP 503\n/,
    );
  });
});
