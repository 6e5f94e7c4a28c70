import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/**
 * Slack's Socket Mode, as documented (api.slack.com/apis/socket-mode), for the fake Slack: the
 * app calls `apps.connections.open` with its app-level token and gets a single-use WebSocket URL
 * (`issueUrl`); on connecting, the socket says `hello`, then sends envelopes
 * (`slash_commands`, `interactive`, `events_api`), each with an `envelope_id` the app must
 * acknowledge (`{"envelope_id": …, "payload": …}`; a slash command's payload is its immediate
 * answer). Slack may send `disconnect` (`warning` and `refresh_requested`: connect anew, this one
 * closes in a few seconds; `link_disabled`: Socket Mode was turned off) or drop a connection.
 *
 * Like Slack, envelopes go to one of the app's open connections (here the newest that was not
 * told to disconnect), and an envelope whose connection closed before its ack arrived is
 * delivered again, with the same envelope_id, on a connection that is open. Every delivery and
 * every ack is recorded with its time, so tests can see an ack's latency, an envelope handled
 * twice, or one never acknowledged.
 */

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'warning' | 'refresh_requested' | 'link_disabled';

export interface SocketConnectionRecord {
  id: number;
  /** When `hello` was sent (ms since the epoch). */
  openedAt: number;
  closedAt?: number;
  /** `app`: the app sent the close frame; `slack`: the fake closed or dropped it. */
  closedBy?: 'app' | 'slack';
  closeCode?: number;
  /** The `disconnect` message sent on it, if any. */
  disconnect?: { reason: DisconnectReason; at: number };
}

export interface EnvelopeDelivery {
  connectionId: number;
  at: number;
  /** 0 for the first delivery, then 1, 2, … */
  attempt: number;
}

export interface EnvelopeAck {
  envelopeId: string;
  connectionId: number;
  at: number;
  /** From the delivery it answers (the latest one on that connection) to the ack. */
  latencyMs: number;
  /** What the app sent along (a slash command's answer); absent or {} for a bare ack. */
  payload?: Record<string, unknown>;
}

export interface EnvelopeRecord {
  envelopeId: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  deliveries: EnvelopeDelivery[];
  /** Accepted acks; more than one means the app acknowledged an envelope twice. */
  acks: EnvelopeAck[];
}

export interface DeliverOptions {
  /** How long to wait for an open connection before giving up (Slack: `dispatch_failed`). */
  waitForConnectionMs?: number;
  /** How long to wait for the ack before the promise rejects. */
  ackTimeoutMs?: number;
  /**
   * Play an ack lost on the way: when the app acknowledges this envelope the first time, the
   * connection drops instead (the ack never arrives), so Slack delivers the envelope again.
   */
  loseFirstAck?: boolean;
}

export interface FakeSocketModeOptions {
  appId?: string;
  /** How often the fake pings each connection (Slack pings to keep connections alive). */
  pingIntervalMs?: number;
}

interface LiveConnection {
  record: SocketConnectionRecord;
  ws: WebSocket;
  closing: boolean;
  timers: NodeJS.Timeout[];
}

interface PendingEnvelope {
  record: EnvelopeRecord;
  /** Settled by the next accepted ack. */
  waiters: ((ack: EnvelopeAck) => void)[];
  /** The connection of the latest delivery while unacknowledged. */
  deliveredOn?: number;
  loseFirstAck: boolean;
}

const DEFAULT_WAIT_FOR_CONNECTION_MS = 10_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
/** Slack closes a connection it warned about after about ten seconds. */
const DEFAULT_CLOSE_AFTER_WARNING_MS = 10_000;

interface FakeSocketModeEvents {
  /** A connection said hello. */
  open: [connection: SocketConnectionRecord];
  close: [connection: SocketConnectionRecord];
}

export class FakeSocketMode extends EventEmitter<FakeSocketModeEvents> {
  /** Every connection that said hello, in order. */
  readonly connections: SocketConnectionRecord[] = [];
  /** Acks for unknown envelope ids, and acks the fake dropped (`loseFirstAck`). */
  readonly strayAcks: { connectionId: number; at: number; text: string }[] = [];
  readonly lostAcks: EnvelopeAck[] = [];
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly live = new Map<number, LiveConnection>();
  private readonly tickets = new Set<string>();
  private readonly envelopes = new Map<string, PendingEnvelope>();
  private readonly connectionWaiters = new Set<() => void>();
  private readonly cancels = new Set<(why: string) => void>();
  private refusals = 0;
  private nextId = 1;
  private readonly appId: string;
  private readonly pingTimer: NodeJS.Timeout;
  private stopped = false;

  constructor(options: FakeSocketModeOptions = {}) {
    super();
    this.appId = options.appId ?? 'A0OPSDECK';
    this.pingTimer = setInterval(() => {
      for (const conn of this.live.values()) if (!conn.closing) conn.ws.ping();
    }, options.pingIntervalMs ?? 10_000);
    this.pingTimer.unref();
  }

  /** A fresh single-use URL, as `apps.connections.open` answers it. */
  issueUrl(base: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${base.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  /** The next `count` connection attempts are refused (HTTP 503 on the upgrade). */
  refuseConnections(count: number): void {
    this.refusals += count;
  }

  /** Takes a WebSocket upgrade of the fake's HTTP server; anything else is refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket) || this.stopped) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    if (this.refusals > 0) {
      this.refusals--;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws));
  }

  /** The connections open now (hello sent, not closed). */
  openConnections(): SocketConnectionRecord[] {
    return [...this.live.values()].map((c) => c.record);
  }

  /** What happened to each envelope so far, in the order they were first sent. */
  envelopeRecords(): EnvelopeRecord[] {
    return [...this.envelopes.values()].map((e) => structuredClone(e.record));
  }

  envelope(envelopeId: string): EnvelopeRecord | undefined {
    const pending = this.envelopes.get(envelopeId);
    return pending && structuredClone(pending.record);
  }

  /**
   * Sends an envelope to one of the app's connections (waiting for one if none is open) and
   * resolves with its ack. Redelivered as Slack does if its connection closes unacknowledged.
   */
  async deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    options: DeliverOptions = {},
  ): Promise<EnvelopeAck> {
    const envelopeId = randomBytes(16).toString('hex');
    const pending: PendingEnvelope = {
      record: { envelopeId, type, payload, deliveries: [], acks: [] },
      waiters: [],
      loseFirstAck: options.loseFirstAck === true,
    };
    this.envelopes.set(envelopeId, pending);
    const acked = this.nextAck(pending, options.ackTimeoutMs);
    try {
      await this.send(pending, options.waitForConnectionMs);
    } catch (error) {
      acked.cancel((error as Error).message);
    }
    return acked.promise;
  }

  /**
   * Sends an envelope again, same envelope_id and payload (as Slack does when it did not get
   * the ack, or believes so); resolves with the ack of this delivery.
   */
  async redeliver(envelopeId: string, options: DeliverOptions = {}): Promise<EnvelopeAck> {
    const pending = this.envelopes.get(envelopeId);
    if (!pending) throw new Error(`no envelope ${envelopeId}`);
    const acked = this.nextAck(pending, options.ackTimeoutMs);
    try {
      await this.send(pending, options.waitForConnectionMs);
    } catch (error) {
      acked.cancel((error as Error).message);
    }
    return acked.promise;
  }

  /**
   * Sends `disconnect` on a connection (the newest open one by default). `warning` and
   * `refresh_requested` close it after `closeAfterMs` unless the app closed it first;
   * `link_disabled` closes it at once.
   */
  disconnect(
    reason: DisconnectReason,
    options: { connectionId?: number; closeAfterMs?: number } = {},
  ): SocketConnectionRecord {
    const conn = this.connection(options.connectionId);
    conn.record.disconnect = { reason, at: Date.now() };
    conn.ws.send(
      JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }),
    );
    const closeAfterMs =
      options.closeAfterMs ?? (reason === 'link_disabled' ? 0 : DEFAULT_CLOSE_AFTER_WARNING_MS);
    conn.timers.push(setTimeout(() => this.close(conn, 1000), closeAfterMs));
    return conn.record;
  }

  /** Drops a connection (the newest open one by default) without a close frame. */
  drop(connectionId?: number): SocketConnectionRecord {
    const conn = this.connection(connectionId);
    conn.closing = true;
    conn.record.closedBy = 'slack';
    conn.ws.terminate();
    return conn.record;
  }

  /** Waits until `count` connections have said hello since the fake started. */
  async waitForConnections(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < count) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.connections.length} of ${count} Socket Mode connections`);
      await sleep(20);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.pingTimer);
    for (const cancel of [...this.cancels]) cancel('the fake Slack stopped');
    for (const wake of [...this.connectionWaiters]) wake();
    for (const conn of this.live.values()) {
      conn.closing = true;
      conn.ws.terminate();
    }
    this.wss.close();
  }

  private open(ws: WebSocket): void {
    const record: SocketConnectionRecord = { id: this.nextId++, openedAt: Date.now() };
    const conn: LiveConnection = { record, ws, closing: false, timers: [] };
    this.live.set(record.id, conn);
    this.connections.push(record);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', () => undefined);
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.live.size,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    for (const wake of this.connectionWaiters) wake();
    this.emit('open', record);
  }

  private onMessage(conn: LiveConnection, data: RawData, isBinary: boolean): void {
    const text = isBinary ? '' : data.toString();
    let message: { envelope_id?: unknown; payload?: unknown } = {};
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      // not JSON: a stray message
    }
    const pending =
      typeof message.envelope_id === 'string' ? this.envelopes.get(message.envelope_id) : undefined;
    const at = Date.now();
    if (!pending) {
      this.strayAcks.push({ connectionId: conn.record.id, at, text });
      return;
    }
    const delivered = pending.record.deliveries.findLast((d) => d.connectionId === conn.record.id);
    const ack: EnvelopeAck = {
      envelopeId: pending.record.envelopeId,
      connectionId: conn.record.id,
      at,
      latencyMs: delivered ? at - delivered.at : Number.NaN,
      ...(isPlainObject(message.payload) && { payload: message.payload }),
    };
    if (pending.loseFirstAck) {
      pending.loseFirstAck = false;
      this.lostAcks.push(ack);
      this.drop(conn.record.id);
      return;
    }
    pending.record.acks.push(ack);
    pending.deliveredOn = undefined;
    const waiters = pending.waiters.splice(0);
    for (const resolve of waiters) resolve(ack);
  }

  private onClose(conn: LiveConnection, code: number): void {
    for (const timer of conn.timers) clearTimeout(timer);
    conn.record.closedAt = Date.now();
    conn.record.closeCode = code;
    conn.record.closedBy ??= conn.closing ? 'slack' : 'app';
    this.live.delete(conn.record.id);
    if (this.stopped) return;
    this.emit('close', conn.record);
    // Slack delivers what this connection left unacknowledged again, on another connection.
    for (const pending of this.envelopes.values()) {
      if (pending.deliveredOn === conn.record.id) this.send(pending).catch(() => undefined);
    }
  }

  private close(conn: LiveConnection, code: number): void {
    if (!this.live.has(conn.record.id)) return;
    conn.closing = true;
    conn.ws.close(code);
    // A peer that never answers the close frame is cut off.
    conn.timers.push(setTimeout(() => conn.ws.terminate(), 2000));
  }

  private connection(id?: number): LiveConnection {
    const conn =
      id === undefined
        ? [...this.live.values()].filter((c) => !c.closing).at(-1)
        : this.live.get(id);
    if (!conn) throw new Error(`no open Socket Mode connection${id ? ` ${id}` : ''}`);
    return conn;
  }

  /** Where the next envelope goes: the newest open connection not told to disconnect. */
  private pick(): LiveConnection | undefined {
    const open = [...this.live.values()].filter(
      (c) => !c.closing && c.ws.readyState === WebSocket.OPEN,
    );
    return open.filter((c) => !c.record.disconnect).at(-1) ?? open.at(-1);
  }

  private async send(
    pending: PendingEnvelope,
    waitMs = DEFAULT_WAIT_FOR_CONNECTION_MS,
  ): Promise<void> {
    const deadline = Date.now() + waitMs;
    let conn = this.pick();
    while (!conn) {
      if (this.stopped || Date.now() >= deadline) {
        throw new Error(
          `no Socket Mode connection within ${waitMs} ms (Slack would answer dispatch_failed)`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.connectionWaiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        this.connectionWaiters.add(wake);
      });
      conn = this.pick();
    }
    const { record } = pending;
    record.deliveries.push({
      connectionId: conn.record.id,
      at: Date.now(),
      attempt: record.deliveries.length,
    });
    pending.deliveredOn = conn.record.id;
    const envelope: Record<string, unknown> = {
      envelope_id: record.envelopeId,
      type: record.type,
      payload: record.payload,
      // Slack takes a response in the ack of slash commands, view submissions and suggestions.
      accepts_response_payload:
        record.type === 'slash_commands' ||
        ['view_submission', 'block_suggestion'].includes(String(record.payload.type)),
    };
    if (record.type === 'events_api') {
      envelope.retry_attempt = record.deliveries.length - 1;
      envelope.retry_reason = record.deliveries.length > 1 ? 'timeout' : '';
    }
    conn.ws.send(JSON.stringify(envelope));
  }

  /**
   * The next accepted ack of the envelope; rejects after `timeoutMs`, when `cancel`led, or when
   * the fake stops. Never an unhandled rejection: nobody may be waiting any more.
   */
  private nextAck(
    pending: PendingEnvelope,
    timeoutMs = DEFAULT_ACK_TIMEOUT_MS,
  ): { promise: Promise<EnvelopeAck>; cancel: (why: string) => void } {
    let cancel: (why: string) => void = () => undefined;
    const promise = new Promise<EnvelopeAck>((resolve, reject) => {
      const settle = (ack: EnvelopeAck) => {
        end();
        resolve(ack);
      };
      const end = () => {
        clearTimeout(timer);
        pending.waiters = pending.waiters.filter((w) => w !== settle);
        this.cancels.delete(cancel);
      };
      cancel = (why: string) => {
        end();
        reject(new Error(why));
      };
      const timer = setTimeout(
        () =>
          cancel(
            `no ack for ${pending.record.type} envelope ${pending.record.envelopeId} within ${timeoutMs} ms`,
          ),
        timeoutMs,
      );
      pending.waiters.push(settle);
      this.cancels.add(cancel);
    });
    promise.catch(() => undefined);
    return { promise, cancel };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
