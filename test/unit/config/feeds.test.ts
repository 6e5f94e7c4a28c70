import { parseConfig } from '../../../src/config/load-config';
import { resolveFeeds } from '../../../src/config/feeds';
import { parseRetryAfter } from '../../../src/feeds/fetch-feed';

describe('feeds config', () => {
  it('defaults to no feeds, and resolves channel, vendor and first-poll defaults', () => {
    expect(parseConfig('').feeds.list).toEqual([]);
    const config = parseConfig(
      'feeds:\n  firstPoll: none\n  list:\n    - { name: github, url: "https://www.githubstatus.com/", kind: statuspage }\n    - { name: aws, vendor: AWS, url: "https://status.aws.amazon.com/rss/ec2.rss", channel: C0AWS, firstPoll: unresolved, pollSeconds: 30 }\n',
    );
    const [github, aws] = resolveFeeds(config.feeds, '#devops_alert');
    expect(github).toMatchObject({
      name: 'github',
      vendor: 'github',
      url: 'https://www.githubstatus.com',
      kind: 'statuspage',
      minImpact: 'none',
      channel: '#devops_alert',
      firstPoll: 'none',
    });
    expect(aws).toMatchObject({
      vendor: 'AWS',
      kind: 'auto',
      channel: 'C0AWS',
      firstPoll: 'unresolved',
      intervalMs: 30_000,
    });
  });

  it('draws each interval from 60-120 s, stable per name, with an offset inside it', () => {
    const list = Array.from({ length: 50 }, (_, i) => ({
      name: `f${i}`,
      url: `https://s${i}.example`,
    }));
    const config = parseConfig(`feeds:\n  list: ${JSON.stringify(list)}\n`);
    const feeds = resolveFeeds(config.feeds, '#a');
    for (const feed of feeds) {
      expect(feed.intervalMs).toBeGreaterThanOrEqual(60_000);
      expect(feed.intervalMs).toBeLessThanOrEqual(120_000);
      expect(feed.offsetMs).toBeGreaterThanOrEqual(0);
      expect(feed.offsetMs).toBeLessThan(feed.intervalMs);
    }
    expect(new Set(feeds.map((f) => f.intervalMs)).size).toBeGreaterThan(40);
    expect(resolveFeeds(config.feeds, '#a')).toEqual(feeds);
  });

  it('refuses duplicate names, unknown kinds, non-http URLs and typos with their path', () => {
    expect(() =>
      parseConfig(
        'feeds:\n  list:\n    - { name: a, url: "https://a.example" }\n    - { name: a, url: "https://b.example" }\n',
      ),
    ).toThrow('feeds.list.1.name: feed name a is used twice');
    expect(() =>
      parseConfig('feeds:\n  list:\n    - { name: a, url: "https://a.example", kind: json }\n'),
    ).toThrow('feeds.list.0.kind: expected one of "statuspage", "rss", "atom", "auto", got "json"');
    expect(() =>
      parseConfig('feeds:\n  list:\n    - { name: a, url: "file:///etc/passwd" }\n'),
    ).toThrow('feeds.list.0.url: must be an http(s) URL');
    expect(() =>
      parseConfig(
        'feeds:\n  list:\n    - { name: a, url: "https://a.example", minimpact: major }\n',
      ),
    ).toThrow('feeds.list.0.minimpact: unknown setting');
    expect(() => parseConfig('feeds:\n  pollSeconds: { min: 100, max: 50 }\n')).toThrow(
      'min must not be above max',
    );
  });

  it('reads Retry-After as seconds or an HTTP date, capped at a day', () => {
    const now = Date.parse('2025-11-20T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 20 Nov 2025 10:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('9999999', now)).toBe(24 * 3600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
