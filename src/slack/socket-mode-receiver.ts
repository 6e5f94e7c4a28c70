import {
  defaultProcessEventErrorHandler,
  type App,
  type Logger as BoltLogger,
  type Receiver,
  type ReceiverEvent,
} from '@slack/bolt';
import { UnrecoverableSocketModeStartError, type SocketModeOptions } from '@slack/socket-mode';
import { ErrorCode as WebApiErrorCode } from '@slack/web-api';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import { slackSocketAck, slackSocketConnections, slackSocketEvents } from '../metrics/metrics';
import { backoffDelay } from '../util/backoff';
import { sleep, sleepUnlessAborted } from '../util/sleep';
import { SocketConnection } from './socket-connection';

/**
 * Socket Mode for Bolt, kept up the way Slack asks: @slack/socket-mode's client for each
 * connection, with the reconnecting done here, because the client's own (and so Bolt's
 * SocketModeReceiver) closes the socket the moment Slack sends `disconnect`, then waits 5 s times
 * the number of attempts, without jitter, before it even asks for a new URL: envelopes sent
 * meanwhile wait or fail, and acks of envelopes still being handled are lost (Slack delivers
 * those again).
 *
 * - `disconnect` (`warning`, `refresh_requested`): a new connection is opened first; once it
 *   said hello, the old one is closed as soon as it has acknowledged what it was sent (at most
 *   `drainMs` later). Slack then sends to the new one.
 * - A dropped connection (closed without being asked, a ping unanswered): reconnect after
 *   `reconnectBaseMs`, doubling per failed attempt up to `reconnectMaxMs`, each wait drawn at
 *   random from its upper half, so that many bots dropped together do not come back together.
 * - `link_disabled` (Socket Mode turned off for the app): the connection is closed and retried
 *   at the longest wait only, so it comes back once someone turns Socket Mode on again.
 * - At start a refused token (`invalid_auth`, …) fails the start; later it is retried like any
 *   other failure, and `health()` says why meanwhile.
 */

export type SocketModeState = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface SocketModeHealth {
  state: SocketModeState;
  /** When the state began (ms since the epoch). */
  since: number;
  /** Connection attempts that failed since the last connection. */
  failedAttempts: number;
  /** When the next attempt starts, while waiting for it. */
  nextAttemptAt?: number;
  lastError?: string;
  /** Slack said Socket Mode is turned off for the app (`disconnect` with `link_disabled`). */
  linkDisabled: boolean;
  /** Connections open now (two while one replaces another). */
  connections: number;
}

export interface SocketModeReceiverOptions {
  appToken: string;
  logger: Logger;
  /** The same logger as Bolt sees it, for the Socket Mode client. */
  boltLogger: BoltLogger;
  /** For the client's apps.connections.open calls (slackApiUrl in tests and console mode). */
  clientOptions?: SocketModeOptions['clientOptions'];
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** The longest a replaced connection may take to acknowledge what it was sent. */
  drainMs?: number;
  /** The longest from asking for a URL to Slack's hello. */
  helloTimeoutMs?: number;
  random?: () => number;
}

/** Slack closes a connection it warned about after about ten seconds. */
const DEFAULT_DRAIN_MS = 10_000;
const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

export class SocketModeReceiver implements Receiver {
  private app: App | undefined;
  private readonly open = new Set<SocketConnection>();
  /** Open connections Slack asked to replace. */
  private readonly replaced = new Set<SocketConnection>();
  private connecting: Promise<void> | undefined;
  private stopped = true;
  private everConnected = false;
  private cancelWait: (() => void) | undefined;
  private status: SocketModeHealth = {
    state: 'stopped',
    since: Date.now(),
    failedAttempts: 0,
    linkDisabled: false,
    connections: 0,
  };

  constructor(private readonly o: SocketModeReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  /** Resolves once connected; rejects if Slack refuses the app-level token at the first try. */
  async start(): Promise<void> {
    this.stopped = false;
    this.setStatus({ state: 'connecting', failedAttempts: 0 });
    await this.connect(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWait?.();
    await this.connecting?.catch(() => undefined);
    await Promise.all([...this.open].map((conn) => conn.disconnect().catch(() => undefined)));
    this.open.clear();
    slackSocketConnections.set(0);
    this.setStatus({ state: 'stopped', nextAttemptAt: undefined });
  }

  health(): SocketModeHealth {
    return { ...this.status, connections: this.open.size };
  }

  /**
   * Connects unless a connection attempt is under way already; `backOff` waits before the first
   * attempt (after a drop), otherwise it starts at once (replacing a connection Slack warned of).
   */
  private connect(backOff: boolean): Promise<void> {
    this.connecting ??= this.connectLoop(backOff).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectLoop(backOff: boolean): Promise<void> {
    let failed = 0;
    let wait = backOff ? this.delay(0) : 0;
    for (;;) {
      if (wait > 0) await this.waitBeforeAttempt(wait);
      if (this.stopped) return;
      try {
        this.adopt(await this.openConnection());
        return;
      } catch (error) {
        failed++;
        slackSocketEvents.inc({ event: 'attempt-failed' });
        if (!this.everConnected && isUnrecoverable(error)) throw error;
        wait = this.delay(failed);
        this.setStatus({ failedAttempts: failed, lastError: describeError(error) });
        this.o.logger.warn(
          { err: error, failedAttempts: failed, retryInMs: wait },
          'Socket Mode connection attempt failed',
        );
      }
    }
  }

  private delay(attempt: number): number {
    if (this.status.linkDisabled) return this.o.reconnectMaxMs;
    return backoffDelay(
      attempt,
      { baseDelayMs: this.o.reconnectBaseMs, maxDelayMs: this.o.reconnectMaxMs },
      this.o.random,
    );
  }

  private async waitBeforeAttempt(ms: number): Promise<void> {
    this.setStatus({ nextAttemptAt: Date.now() + ms });
    const abort = new AbortController();
    this.cancelWait = () => abort.abort();
    await sleepUnlessAborted(ms, abort.signal);
    this.cancelWait = undefined;
    this.setStatus({ nextAttemptAt: undefined });
  }

  /** A new connection, resolved once Slack said hello. */
  private async openConnection(): Promise<SocketConnection> {
    const conn = new SocketConnection({
      appToken: this.o.appToken,
      logger: this.o.boltLogger,
      // Retries are ours (with jitter); the client's default is 100 quick ones per URL.
      clientOptions: { ...this.o.clientOptions, retryConfig: { retries: 0 } },
    });
    let socketError: unknown;
    conn.on('error', (error: unknown) => (socketError = error));
    conn.on('slack_event', (args: SlackEventArgs) => void this.dispatch(conn, args));
    conn.on('disconnect_requested', (reason: string) => this.onDisconnectRequested(conn, reason));
    conn.on('disconnected', () => this.onClosed(conn));
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.o.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    try {
      await Promise.race([
        conn.start(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no hello within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return conn;
    } catch (error) {
      // Never adopted, so its events are ignored; not awaited: a silent peer takes 30 s to close.
      void conn.disconnect().catch(() => undefined);
      // The client rejects with nothing when the socket closes before hello; say what closed it.
      throw error ?? socketError ?? new Error('the connection closed before hello');
    } finally {
      clearTimeout(timer);
    }
  }

  private adopt(conn: SocketConnection): void {
    if (this.stopped) {
      void conn.disconnect();
      return;
    }
    this.open.add(conn);
    slackSocketConnections.set(this.open.size);
    slackSocketEvents.inc({ event: 'connected' });
    this.everConnected = true;
    this.setStatus({
      state: 'connected',
      failedAttempts: 0,
      lastError: undefined,
      linkDisabled: false,
    });
    this.o.logger.info(
      { connection: conn.id, replacing: [...this.replaced].map((c) => c.id) },
      'Socket Mode connected',
    );
    for (const old of this.replaced) void this.retire(old);
  }

  private onDisconnectRequested(conn: SocketConnection, reason: string): void {
    if (!this.open.has(conn) || this.replaced.has(conn)) return;
    this.replaced.add(conn);
    slackSocketEvents.inc({ event: reason === 'link_disabled' ? 'link-disabled' : 'replaced' });
    if (reason === 'link_disabled') {
      this.setStatus({ linkDisabled: true });
      this.o.logger.error(
        { connection: conn.id, reason },
        'Slack turned Socket Mode off for this app: no commands arrive until it is turned on again (app settings → Socket Mode)',
      );
      void conn.disconnect();
      return;
    }
    this.o.logger.info(
      { connection: conn.id, reason },
      'Slack asks for a new Socket Mode connection',
    );
    this.connect(false).catch((error: unknown) =>
      this.o.logger.error({ err: error }, 'Socket Mode: no new connection'),
    );
  }

  /** Closes a replaced connection once it acknowledged what it was sent (or `drainMs` passed). */
  private async retire(conn: SocketConnection): Promise<void> {
    this.replaced.delete(conn);
    const deadline = Date.now() + (this.o.drainMs ?? DEFAULT_DRAIN_MS);
    while (conn.unacked > 0 && Date.now() < deadline) await sleep(10);
    this.o.logger.info(
      { connection: conn.id, unacked: conn.unacked },
      'closing the replaced Socket Mode connection',
    );
    await conn.disconnect().catch(() => undefined);
  }

  private onClosed(conn: SocketConnection): void {
    const wasOpen = this.open.delete(conn);
    const replaced = this.replaced.delete(conn);
    if (!wasOpen || this.stopped) return;
    slackSocketConnections.set(this.open.size);
    if (!replaced) {
      slackSocketEvents.inc({ event: 'dropped' });
      this.o.logger.warn({ connection: conn.id }, 'Socket Mode connection dropped');
    }
    if (this.open.size > 0) return;
    this.setStatus({ state: 'reconnecting' });
    this.connect(true).catch((error: unknown) =>
      this.o.logger.error({ err: error }, 'Socket Mode: reconnecting failed'),
    );
  }

  /** One envelope into Bolt, as Bolt's own SocketModeReceiver does it, counting it until acked. */
  private async dispatch(conn: SocketConnection, args: SlackEventArgs): Promise<void> {
    conn.unacked++;
    const received = performance.now();
    let counted = true;
    const uncount = () => {
      if (counted) conn.unacked--;
      counted = false;
    };
    let acked = false;
    const event: ReceiverEvent = {
      body: args.body,
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        try {
          await args.ack(response);
          slackSocketAck.observe((performance.now() - received) / 1000);
        } finally {
          uncount();
        }
      },
      ...(args.retry_num !== undefined && { retryNum: args.retry_num }),
      ...(args.retry_reason !== undefined && { retryReason: args.retry_reason }),
      customProperties: {},
    };
    try {
      if (!this.app) throw new Error('the receiver was started before Bolt initialised it');
      await this.app.processEvent(event);
    } catch (error) {
      const ack = await defaultProcessEventErrorHandler({
        error: error as Error,
        logger: this.o.boltLogger,
        event,
      });
      if (ack && !acked) await event.ack().catch(() => undefined);
    } finally {
      uncount();
    }
  }

  private setStatus(change: Partial<SocketModeHealth>): void {
    const next = { ...this.status, ...change };
    if (change.state !== undefined && change.state !== this.status.state) next.since = Date.now();
    this.status = next;
  }
}

/** What the Socket Mode client hands its `slack_event` listeners. */
interface SlackEventArgs {
  ack: (response?: unknown) => Promise<void>;
  envelope_id: string;
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

/** Slack refused the app-level token: trying again will not help. */
function isUnrecoverable(error: unknown): boolean {
  const e = error as { code?: string; data?: { error?: string } } | undefined;
  return (
    e?.code === WebApiErrorCode.PlatformError &&
    Object.values<string>(UnrecoverableSocketModeStartError).includes(e.data?.error ?? '')
  );
}

/**
 * What /healthz says of Slack in Socket Mode while not connected (null when connected), e.g.
 * `reconnecting since 2025-11-21T16:00:00.000Z: 2 attempts failed (…); next in 3.2 s`.
 */
export function describeSocketModeHealth(
  health: SocketModeHealth,
  now = Date.now(),
): string | null {
  if (health.state === 'connected') return null;
  const parts = [
    health.state === 'stopped'
      ? 'not connected (stopped)'
      : `${health.state} since ${new Date(health.since).toISOString()}`,
  ];
  if (health.linkDisabled) parts.push('Slack turned Socket Mode off for this app (link_disabled)');
  if (health.failedAttempts > 0)
    parts.push(
      `${health.failedAttempts} attempt${health.failedAttempts === 1 ? '' : 's'} failed (${health.lastError ?? 'no reason given'})`,
    );
  if (health.nextAttemptAt !== undefined)
    parts.push(`next in ${(Math.max(0, health.nextAttemptAt - now) / 1000).toFixed(1)} s`);
  return `${parts[0]}${parts.length > 1 ? `: ${parts.slice(1).join('; ')}` : ''}`;
}
