import fc from 'fast-check';
import { ErrorCode, FeedError } from '../../../src/errors';
import { feedDocuments } from '../../../src/feeds/feed-documents';
import { parseSyndication } from '../../../src/feeds/rss-atom-adapter';
import { feedFixture } from '../../helpers/feed-server';

const NOW = Date.parse('2025-11-21T00:00:00Z');

function rejection(run: () => unknown): FeedError {
  try {
    run();
  } catch (error) {
    if (error instanceof FeedError) return error;
    throw error;
  }
  throw new Error('expected a FeedError');
}

describe('RSS/Atom adapter', () => {
  it("reads Statuspage's Atom history: one incident per entry, its timeline from the content", () => {
    const [incident, older, maintenance] = parseSyndication(
      feedFixture('statuspage-history.atom'),
      'atom',
      NOW,
    );
    expect(incident).toMatchObject({
      id: 'tag:www.githubstatus.com,2005:Incident/27183843',
      kind: 'incident',
      title: 'Disruption with Actions and API Requests',
      status: 'resolved',
      resolved: true,
      impact: null,
      link: 'https://www.githubstatus.com/incidents/8t3ytm3n6q5f',
      startedAt: Date.parse('2025-11-20T17:04:00Z'),
    });
    expect(incident!.updates.map((u) => [u.status, new Date(u.at).toISOString()])).toEqual([
      ['investigating', '2025-11-20T17:04:00.000Z'],
      ['identified', '2025-11-20T17:26:00.000Z'],
      ['monitoring', '2025-11-20T17:58:00.000Z'],
      ['resolved', '2025-11-20T18:32:00.000Z'],
    ]);
    expect(incident!.updates[1]!.body).toBe(
      'We have identified the cause as a failing database primary in one of our regions and are failing over.',
    );
    expect(older!.resolved).toBe(true);
    expect(maintenance).toMatchObject({ kind: 'maintenance', status: 'completed', resolved: true });
    expect(maintenance!.updates.map((u) => u.status)).toEqual([
      'scheduled',
      'in_progress',
      'completed',
    ]);
  });

  it('keeps update ids when an update text is edited, and adds one for a new status', () => {
    const atom = feedFixture('statuspage-history.atom');
    const ids = (text: string) => parseSyndication(text, 'atom', NOW)[0]!.updates.map((u) => u.id);
    const edited = atom.replace('are failing over.', 'are failing over to a replica.');
    expect(ids(edited)).toEqual(ids(atom));
  });

  it('reads AWS Health RSS: one incident per item, resolved from its words, categories as components', () => {
    const items = parseSyndication(feedFixture('aws-health.rss'), 'rss', NOW);
    expect(items.map((i) => [i.title, i.status, i.resolved])).toEqual([
      ['Service is operating normally: [RESOLVED] Increased API Error Rates', 'resolved', true],
      ['Informational message: Increased API Error Rates', 'reported', false],
      [
        'Informational message: Elevated launch latency & delayed instance status checks',
        'reported',
        false,
      ],
    ]);
    expect(items[1]).toMatchObject({
      id: 'https://status.aws.amazon.com/#ec2-us-east-1_1763691605',
      components: ['ec2-us-east-1'],
      startedAt: Date.parse('Thu, 20 Nov 2025 18:20:05 PST'),
    });
  });

  it('insists on the configured format; auto detects JSON, RSS and Atom', () => {
    const error = rejection(() => parseSyndication(feedFixture('aws-health.rss'), 'atom', NOW));
    expect(error.message).toBe('expected atom, got a rss document');
    const [auto] = feedDocuments({ kind: 'auto', url: 'http://x/feed' });
    expect(auto!.parse(feedFixture('statuspage-history.atom'), NOW)).toHaveLength(3);
    expect(auto!.parse(feedFixture('aws-health.rss'), NOW)).toHaveLength(3);
    expect(auto!.parse(feedFixture('statuspage-incidents-0-history.json'), NOW)).toHaveLength(2);
    expect(rejection(() => auto!.parse('Service Unavailable', NOW)).message).toBe(
      'neither JSON nor XML',
    );
  });

  it('refuses entity expansion (billion laughs) and any DOCTYPE without parsing', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><rss version="2.0"><channel><title>&lol2;</title><item><title>&lol2;</title></item></channel></rss>`;
    const error = rejection(() => parseSyndication(lol, undefined, NOW));
    expect(error.code).toBe(ErrorCode.FeedInvalid);
    expect(error.message).toMatch(/DOCTYPE/);
    const external = `<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss version="2.0"><channel><title>x</title></channel></rss>`;
    expect(rejection(() => parseSyndication(external, 'rss', NOW)).message).toMatch(/DOCTYPE/);
  });

  it('refuses deeply nested and malformed XML', () => {
    const deep = `<rss version="2.0"><channel><title>x</title>${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</channel></rss>`;
    expect(rejection(() => parseSyndication(deep, 'rss', NOW)).message).toMatch(/nested deeper/);
    expect(
      rejection(() => parseSyndication('<html><body>502 Bad Gateway</body></html>', undefined, NOW))
        .code,
    ).toBe(ErrorCode.FeedInvalid);
  });

  it('never throws anything but a FeedError, whatever the text (fuzzed)', () => {
    const fixtures = [feedFixture('statuspage-history.atom'), feedFixture('aws-health.rss')];
    const outcome = (text: string) => {
      try {
        return parseSyndication(text, undefined, NOW);
      } catch (error) {
        if (!(error instanceof FeedError)) throw error;
        return null;
      }
    };
    fc.assert(
      fc.property(fc.string(), (text) => {
        outcome(text);
        outcome(
          `<rss version="2.0"><channel><item><title>${text}</title><description>${text}</description></item></channel></rss>`,
        );
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.string({ minLength: 1, maxLength: 4 }),
        (fixture, where, replacement) => {
          const at = Math.floor(where * fixture.length);
          outcome(fixture.slice(0, at));
          outcome(fixture.slice(0, at) + replacement + fixture.slice(at + 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
