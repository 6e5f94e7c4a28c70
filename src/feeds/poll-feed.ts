import { FeedError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import { feedMessages, feedPolls } from '../metrics/metrics';
import { bodyHash, type Validators } from './conditional-get';
import { dedupeIncidents, type FeedIncident } from './feed-incident';
import { feedDocuments } from './feed-documents';
import type { FeedStateStore } from './feed-state-store';
import type { FeedsConfig, ResolvedFeed } from '../config/feeds';
import { fetchFeed } from './fetch-feed';
import type { FeedParseProcess } from './parse-process';
import { relayIncidents } from './relay-incidents';
import { feedFailingText, feedRecoveredReplyText, feedRecoveredRootText } from './relay-messages';
import type { RelayStore } from './relay-store';
import { backoffDelay } from '../util/backoff';
import { type MessageSink } from '../notify/message-sink';

export type PollOutcome = 'changed' | 'unchanged' | 'failed' | 'backing-off' | 'busy';

export interface PollDeps {
  states: FeedStateStore;
  relay: RelayStore;
  sink: MessageSink;
  /** Parses each changed document (the feed parse process, parse-process.ts). */
  parser: Pick<FeedParseProcess, 'parse'>;
  settings: Pick<
    FeedsConfig,
    'timeoutMs' | 'maxBytes' | 'backoffMaxSeconds' | 'reportAfterFailures' | 'parseTimeoutMs'
  >;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** Aborts a request in flight (worker shutdown). */
  signal?: AbortSignal;
}

/** A lock outlives the longest poll: every document's timeout and parse budget, plus time to relay. */
const LOCK_MARGIN_MS = 30_000;

/**
 * One poll of one feed, as its scheduled job runs it:
 *
 * 1. Skipped while the feed backs off after failures, or while another poll of it runs.
 * 2. Each document is fetched with a conditional GET; 304, or a body whose hash is unchanged,
 *    costs no parse.
 * 3. Changed documents are parsed, on the feed parse process within feeds.parseTimeoutMs each
 *    (all of them before anything is relayed: a feed half broken is broken) and their incidents relayed; then their validators are saved, so a crash before
 *    that re-reads them next time and the claims keep it from posting twice.
 * 4. A failure backs off exponentially from the poll interval (at least Retry-After); the
 *    failure that reaches `reportAfterFailures` posts one message, the next success one more.
 */
export async function pollFeed(feed: ResolvedFeed, deps: PollDeps): Promise<PollOutcome> {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ feed: feed.name });
  const outcome = await pollOnce(feed, deps, now, log);
  feedPolls.inc({ feed: feed.name, outcome });
  return outcome;
}

async function pollOnce(
  feed: ResolvedFeed,
  deps: PollDeps,
  now: () => number,
  log: Logger,
): Promise<PollOutcome> {
  const { states, settings } = deps;
  const state = await states.read(feed.name);
  if (state.nextPollAfter !== undefined && now() < state.nextPollAfter) return 'backing-off';
  const documents = feedDocuments(feed);
  const token = await states.lock(
    feed.name,
    documents.length * (settings.timeoutMs + settings.parseTimeoutMs) + LOCK_MARGIN_MS,
  );
  if (!token) return 'busy';
  try {
    const changed: { url: string; validators: Validators; incidents: FeedIncident[] }[] = [];
    try {
      for (const document of documents) {
        const stored = await states.validators(feed.name, document.url);
        const result = await fetchFeed(document.url, {
          validators: stored,
          timeoutMs: settings.timeoutMs,
          maxBytes: settings.maxBytes,
          ...(deps.signal ? { signal: deps.signal } : {}),
        });
        if (result.status === 'not-modified') continue;
        const validators: Validators = {
          ...(result.etag ? { etag: result.etag } : {}),
          ...(result.lastModified ? { lastModified: result.lastModified } : {}),
          bodyHash: bodyHash(result.text),
        };
        if (validators.bodyHash === stored.bodyHash) {
          // Same content: remember new validators (a 304 next time), parse nothing.
          if (validators.etag !== stored.etag || validators.lastModified !== stored.lastModified)
            await states.saveValidators(feed.name, document.url, validators);
          continue;
        }
        changed.push({
          url: document.url,
          validators,
          incidents: await deps.parser.parse(document.format, result.text, now()),
        });
      }
    } catch (error) {
      // Shutting down is not the feed's fault: nothing is recorded, the next poll starts over.
      if (deps.signal?.aborted) throw error;
      await failed(feed, deps, now(), state.failures + 1, error, log);
      return 'failed';
    }
    if (changed.length > 0) {
      const incidents = dedupeIncidents(changed.flatMap((document) => document.incidents));
      const counts = await relayIncidents(feed, incidents, state.initializedAt === undefined, {
        store: deps.relay,
        sink: deps.sink,
      });
      for (const [kind, count] of Object.entries(counts))
        if (count > 0) feedMessages.inc({ feed: feed.name, kind }, count);
      for (const document of changed)
        await states.saveValidators(feed.name, document.url, document.validators);
      log.info({ incidents: incidents.length, ...counts }, 'feed changed');
    }
    const recovery = await states.recordSuccess(feed.name, {
      now: now(),
      changed: changed.length > 0,
    });
    if (recovery) {
      const at = now();
      await deps.sink.enqueue(recovery.thread, {
        kind: 'reply',
        text: feedRecoveredReplyText(recovery.failingSince, at),
      });
      await deps.sink.enqueue(recovery.thread, {
        kind: 'update-root',
        text: feedRecoveredRootText(feed, recovery.failingSince, at, recovery.lastError),
      });
      feedMessages.inc({ feed: feed.name, kind: 'health' }, 2);
      log.info('feed recovered');
    }
    return changed.length > 0 ? 'changed' : 'unchanged';
  } finally {
    await states.unlock(feed.name, token);
  }
}

async function failed(
  feed: ResolvedFeed,
  deps: PollDeps,
  at: number,
  failures: number,
  error: unknown,
  log: Logger,
): Promise<void> {
  const { settings } = deps;
  const reason = error instanceof FeedError ? error.message : describeError(error);
  const backoff = backoffDelay(
    failures - 1,
    {
      baseDelayMs: feed.intervalMs,
      maxDelayMs: Math.max(feed.intervalMs, settings.backoffMaxSeconds * 1000),
    },
    deps.random,
  );
  const retryAfter = error instanceof FeedError ? (error.retryAfterMs ?? 0) : 0;
  const nextPollAfter = at + Math.max(backoff, retryAfter);
  const report = await deps.states.recordFailure(feed.name, {
    now: at,
    error: reason,
    nextPollAfter,
    reportAfter: settings.reportAfterFailures,
  });
  log.warn(
    { err: error, failures, nextPollAfter: new Date(nextPollAfter).toISOString() },
    'feed poll failed',
  );
  if (report) {
    await deps.sink.enqueue(report.thread, {
      kind: 'root',
      channel: feed.channel,
      text: feedFailingText(feed, report.failingSince, reason, failures),
    });
    feedMessages.inc({ feed: feed.name, kind: 'health' });
  }
}
