import { createHash } from 'node:crypto';
import { z } from 'zod';
import { channelRef } from './config-fields';

/**
 * The `feeds` section: third-party status pages whose incidents are relayed to Slack.
 *
 *   feeds:
 *     list:
 *       - name: github
 *         vendor: GitHub
 *         url: https://www.githubstatus.com      # statuspage: the page; rss/atom/auto: the document
 *         kind: statuspage
 *         components: [Actions, Git Operations]
 *         minImpact: minor
 *
 * Settings outside `list` are defaults and limits shared by every feed.
 */

export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number];

export const FEED_KINDS = ['statuspage', 'rss', 'atom', 'auto'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** What the first successful poll of a new feed relays: unresolved incidents only, or nothing. */
export const FIRST_POLL = ['unresolved', 'none'] as const;

const seconds = z.number().min(0.1).max(86_400);

export const FeedConfig = z.strictObject({
  /** Stable identifier: Redis keys, the job scheduler and `/ops feeds` use it. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, - and _ (1-63)'),
  /** Shown in messages; the name when omitted. */
  vendor: z.string().min(1).max(80).optional(),
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((url) => url.replace(/(?<!\/)\/+$/, '')),
  /** statuspage: the page's address (its /api/v2 JSON is read); rss, atom, auto: the document. */
  kind: z.enum(FEED_KINDS).default('auto'),
  /** Only incidents naming one of these components (Statuspage) or categories (RSS/Atom). */
  components: z.array(z.string().min(1)).min(1).optional(),
  /** Incidents below this impact are not relayed (maintenances and unknown impacts always are). */
  minImpact: z.enum(IMPACTS).default('none'),
  /** Where its messages go; slack.alertChannel when omitted. */
  channel: channelRef.optional(),
  /** A fixed poll interval; drawn from feeds.pollSeconds when omitted. */
  pollSeconds: seconds.optional(),
  firstPoll: z.enum(FIRST_POLL).optional(),
});
export type FeedConfig = z.infer<typeof FeedConfig>;

export const FeedsConfig = z.strictObject({
  list: z
    .array(FeedConfig)
    .default([])
    .superRefine((feeds, ctx) => {
      const seen = new Set<string>();
      feeds.forEach((feed, index) => {
        if (seen.has(feed.name))
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `feed name ${feed.name} is used twice`,
          });
        seen.add(feed.name);
      });
    }),
  /** Each feed's interval is drawn once from this range (stable per name), spreading the polls. */
  pollSeconds: z
    .strictObject({ min: seconds.default(60), max: seconds.default(120) })
    .refine((range) => range.min <= range.max, 'min must not be above max')
    .prefault({}),
  firstPoll: z.enum(FIRST_POLL).default('unresolved'),
  /** One HTTP request, headers and body. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** A response larger than this (after decompression) is cut off and the feed counted as broken. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  /** Failures back off exponentially from the poll interval up to this. */
  backoffMaxSeconds: seconds.default(3600),
  /** Consecutive failed polls before the feed is reported broken (once; and once on recovery). */
  reportAfterFailures: z.number().int().min(1).max(100).default(3),
  /**
   * Longest one document may take to parse, in the feed parse process (parse-process.ts): past it
   * the process is ended and the document refused. The worst 2 MB document takes about 1 s of CPU.
   */
  parseTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Polls run at once per worker process. */
  concurrency: z.number().int().min(1).max(256).default(8),
});
export type FeedsConfig = z.infer<typeof FeedsConfig>;

/** A feed with every default applied: what the poller and the relay work with. */
export interface ResolvedFeed {
  name: string;
  vendor: string;
  url: string;
  kind: FeedKind;
  components?: string[];
  minImpact: Impact;
  channel: string;
  firstPoll: (typeof FIRST_POLL)[number];
  intervalMs: number;
  offsetMs: number;
}

export function resolveFeeds(config: FeedsConfig, alertChannel: string): ResolvedFeed[] {
  return config.list.map((feed) => {
    const intervalMs = pollIntervalMs(feed, config);
    return {
      name: feed.name,
      vendor: feed.vendor ?? feed.name,
      url: feed.url,
      kind: feed.kind,
      ...(feed.components ? { components: feed.components } : {}),
      minImpact: feed.minImpact,
      channel: feed.channel ?? alertChannel,
      firstPoll: feed.firstPoll ?? config.firstPoll,
      intervalMs,
      offsetMs: pollOffsetMs(feed, intervalMs),
    };
  });
}

/**
 * A feed's poll interval: its own `pollSeconds`, else a point in the section's range chosen by a
 * hash of its name, so feeds do not poll in lockstep and a restart keeps each feed's rhythm.
 */
export function pollIntervalMs(feed: FeedConfig, config: FeedsConfig): number {
  if (feed.pollSeconds !== undefined) return Math.round(feed.pollSeconds * 1000);
  const { min, max } = config.pollSeconds;
  return Math.round((min + (max - min) * unitHash(feed.name)) * 1000);
}

/** Where in its interval a feed's polls fall, also from its name: [0, interval). */
export function pollOffsetMs(feed: FeedConfig, intervalMs: number): number {
  return Math.floor(unitHash(`offset:${feed.name}`) * intervalMs);
}

function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}
