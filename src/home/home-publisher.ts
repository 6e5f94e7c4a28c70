import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger';
import { classifySlackError } from '../notify/slack-error';
import type { Mrkdwn } from '../slack/mrkdwn';
import type { HomeFacts } from './home-facts';
import { homeView, type HomeView } from './home-view';

/**
 * Keeps the Home tab of each user who opened it recently up to date, within Slack's limits:
 * - `opened` (app_home_opened) publishes that user's Home at once;
 * - `changed` (a job changed state, a request or click was handled, the periodic look at
 *   health) is debounced: changes within `debounceMs` make one refresh, which reads every recent
 *   user's Home and publishes only those whose view differs from what was last published;
 * - a user is at most once in the line waiting to be published (coalesced), and publishes are
 *   paced `publishIntervalMs` apart: views.publish is Tier 4, 100+ per minute per workspace;
 * - a `ratelimited` answer holds every publish back for its Retry-After, then publishes again.
 * A failed publish is logged; the next refresh tries again (the view still differs).
 */

export interface HomePublisherOptions {
  debounceMs: number;
  publishIntervalMs: number;
  /** Replica and feed health change without an event: looked at this often. */
  pollMs: number;
  /** A user's Home is kept fresh this long after they last opened it. */
  recentMs: number;
  /** At most this many users are kept fresh (the longest unopened are dropped). */
  maxUsers: number;
}

export const HOME_PUBLISHER_DEFAULTS: HomePublisherOptions = {
  debounceMs: 1000,
  // 100 per minute: Tier 4's floor.
  publishIntervalMs: 600,
  pollMs: 30_000,
  recentMs: 4 * 3600_000,
  maxUsers: 500,
};

export type PublishHome = (userId: string, view: HomeView) => Promise<void>;

interface Viewer {
  openedAt: number;
  /** What was last published for them (the view without its time), once it was. */
  published?: string;
  /** The answer to their last click in the Home tab, shown on top. */
  notice?: Mrkdwn;
}

export class HomePublisher {
  private readonly viewers = new Map<string, Viewer>();
  /** Users waiting to be published, each once; true: publish even if unchanged. */
  private readonly due = new Map<string, boolean>();
  private readonly options: HomePublisherOptions;
  private readonly abort = new AbortController();
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** No publish before this time (pace, Retry-After). */
  private notBefore = 0;

  constructor(
    private readonly read: (userId: string) => Promise<HomeFacts>,
    private readonly publish: PublishHome,
    private readonly logger: Logger,
    options: Partial<HomePublisherOptions> = {},
  ) {
    this.options = { ...HOME_PUBLISHER_DEFAULTS, ...options };
  }

  start(): void {
    this.poll = setInterval(() => this.changed(), this.options.pollMs);
    this.poll.unref();
  }

  /** The user opened their Home tab: publish it now, and keep it fresh from now on. */
  opened(userId: string): void {
    const viewer = this.viewers.get(userId);
    this.viewers.delete(userId);
    this.viewers.set(userId, { ...viewer, openedAt: Date.now() });
    this.dropStale();
    this.enqueue(userId, true);
  }

  /** The answer to a click in the user's Home tab: shown on top of it, published now. */
  notice(userId: string, text: Mrkdwn): void {
    const viewer = this.viewers.get(userId) ?? { openedAt: Date.now() };
    this.viewers.set(userId, { ...viewer, notice: text });
    this.enqueue(userId, true);
  }

  /** Something may have changed: refresh every recent user's Home soon (debounced). */
  changed(): void {
    if (this.debounce || this.abort.signal.aborted) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.dropStale();
      for (const userId of this.viewers.keys()) this.enqueue(userId, false);
    }, this.options.debounceMs);
    this.debounce.unref();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    await this.draining;
  }

  private enqueue(userId: string, force: boolean): void {
    if (this.abort.signal.aborted) return;
    this.due.set(userId, force || this.due.get(userId) === true);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private dropStale(): void {
    const oldest = Date.now() - this.options.recentMs;
    for (const [userId, viewer] of this.viewers)
      if (viewer.openedAt < oldest) this.viewers.delete(userId);
    // Oldest opened first (Map order): drop those beyond the bound.
    for (const userId of this.viewers.keys()) {
      if (this.viewers.size <= this.options.maxUsers) break;
      this.viewers.delete(userId);
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.first(); next; next = this.first()) {
        const wait = this.notBefore - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal: this.abort.signal });
        const [userId, force] = next;
        this.due.delete(userId);
        await this.publishFor(userId, force);
      }
    } catch (error) {
      if (!this.abort.signal.aborted) this.logger.error({ err: error }, 'home: refresh stopped');
    }
  }

  private first(): [string, boolean] | undefined {
    if (this.abort.signal.aborted) return undefined;
    return this.due.entries().next().value;
  }

  private async publishFor(userId: string, force: boolean): Promise<void> {
    const viewer = this.viewers.get(userId);
    if (!viewer) return;
    let view: HomeView;
    let shown: string;
    try {
      const facts = await this.read(userId);
      view = homeView(facts, viewer.notice);
      // The view without its time: what a change is judged by.
      shown = JSON.stringify(homeView({ ...facts, at: 0 }, viewer.notice));
    } catch (error) {
      this.logger.warn({ err: error, userId }, 'home: could not read what to show');
      return;
    }
    if (!force && shown === viewer.published) return;
    this.notBefore = Date.now() + this.options.publishIntervalMs;
    try {
      await this.publish(userId, view);
      viewer.published = shown;
    } catch (error) {
      const failure = classifySlackError(error);
      if (failure.kind === 'rate-limited') {
        this.notBefore = Date.now() + failure.retryAfterMs;
        this.logger.warn({ userId, retryAfterMs: failure.retryAfterMs }, 'home: rate limited');
        if (!this.due.has(userId)) this.due.set(userId, force);
        return;
      }
      this.logger.warn({ userId, reason: failure.reason }, 'home: views.publish failed');
    }
  }
}
