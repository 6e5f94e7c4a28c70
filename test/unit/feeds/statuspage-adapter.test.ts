import fc from 'fast-check';
import { ErrorCode, FeedError } from '../../../src/errors';
import { parseStatuspage, statuspageUrls } from '../../../src/feeds/statuspage-adapter';
import { feedFixture } from '../../helpers/feed-server';

function expectFeedInvalid(run: () => unknown, message: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).code).toBe(ErrorCode.FeedInvalid);
    expect((error as FeedError).message).toMatch(message);
    return;
  }
  throw new Error('expected a FeedError');
}

describe('Statuspage adapter', () => {
  it('reads a page address as its incidents and scheduled-maintenances documents', () => {
    expect(statuspageUrls('https://www.githubstatus.com')).toEqual([
      'https://www.githubstatus.com/api/v2/incidents.json',
      'https://www.githubstatus.com/api/v2/scheduled-maintenances.json',
    ]);
  });

  it('turns incidents.json into incidents with their updates oldest first', () => {
    const [current, ...history] = parseStatuspage(
      feedFixture('statuspage-incidents-3-monitoring.json'),
    );
    expect(current).toEqual({
      id: '8t3ytm3n6q5f',
      kind: 'incident',
      title: 'Disruption with Actions and API Requests',
      status: 'monitoring',
      resolved: false,
      impact: 'major',
      components: ['Actions', 'API Requests'],
      link: 'https://stspg.io/8t3ytm3n',
      startedAt: Date.parse('2025-11-20T17:04:45.124Z'),
      updates: [
        expect.objectContaining({ id: 'k9cvd2lq3f7w', status: 'investigating' }),
        expect.objectContaining({ id: 'p1tr8z6x4n2m', status: 'identified' }),
        expect.objectContaining({
          id: 'w5bx0h3j7k9c',
          status: 'monitoring',
          at: Date.parse('2025-11-20T17:58:30.045Z'),
          body: expect.stringContaining('failover is complete'),
        }),
      ],
    });
    expect(history.map((incident) => [incident.id, incident.resolved])).toEqual([
      ['x0tw3b8n4k6p', true],
      ['m2kvq7dg5r1x', true],
    ]);
    expect(history[0]!.impact).toBe('none');
  });

  it('marks scheduled maintenances as such, with their window', () => {
    const [upcoming, done] = parseStatuspage(feedFixture('statuspage-scheduled-maintenances.json'));
    expect(upcoming).toMatchObject({
      kind: 'maintenance',
      status: 'scheduled',
      resolved: false,
      impact: null,
      startedAt: Date.parse('2025-11-25T08:00:00.000Z'),
      scheduledUntil: Date.parse('2025-11-25T10:00:00.000Z'),
    });
    expect(done).toMatchObject({ kind: 'maintenance', status: 'completed', resolved: true });
    expect(done!.updates.map((u) => u.status)).toEqual(['scheduled', 'in_progress', 'completed']);
  });

  it('rejects truncated JSON, other documents and wrong field types, naming the problem', () => {
    const text = feedFixture('statuspage-incidents-1-investigating.json');
    expectFeedInvalid(() => parseStatuspage(text.slice(0, text.length / 2)), /not valid JSON/);
    expectFeedInvalid(() => parseStatuspage('{"status":{"indicator":"none"}}'), /not a Statuspage/);
    expectFeedInvalid(
      () => parseStatuspage('{"incidents":[{"id":"x","name":"n","status":"resolved"}]}'),
      /at incidents\.0\./,
    );
    expectFeedInvalid(
      () =>
        parseStatuspage(
          '{"incidents":[{"id":"x","name":"n","status":"resolved","created_at":"yesterday","incident_updates":[]}]}',
        ),
      /at incidents\.0\.created_at/,
    );
  });

  it('rejects deeply nested JSON before parsing it', () => {
    const deep = `{"incidents":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expectFeedInvalid(() => parseStatuspage(deep), /nested deeper than 64 levels/);
  });

  it('never throws anything but a FeedError, whatever the text (fuzzed)', () => {
    const fixture = feedFixture('statuspage-incidents-4-resolved.json');
    const outcome = (text: string) => {
      try {
        return parseStatuspage(text);
      } catch (error) {
        if (!(error instanceof FeedError)) throw error;
        return null;
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ incidents: [v] })),
        ),
        (text) => {
          outcome(text);
        },
      ),
      { numRuns: 500 },
    );
    // Any cut of a real document, and any byte replaced in it.
    fc.assert(
      fc.property(
        fc.nat(fixture.length),
        fc.nat(fixture.length - 1),
        fc.string({ minLength: 1, maxLength: 3 }),
        (cut, at, replacement) => {
          outcome(fixture.slice(0, cut));
          outcome(fixture.slice(0, at) + replacement + fixture.slice(at + 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
