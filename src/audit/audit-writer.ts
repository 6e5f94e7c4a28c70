import { backoffDelay } from '../util/backoff';
import { sleep } from '../util/sleep';
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../util/redis-client';
import { describeError, ErrorCode, OpsdeckError } from '../errors';
import type { Logger } from '../log/logger';
import { workRefused } from '../metrics/metrics';
import { describeMacFailure, type WorkSigner } from '../util/work-signature';
import { prepareEvent, type AuditEventInput, type PreparedEvent } from './audit-event';
import type { AuditStore } from './audit-store';

/**
 * Fail closed, lose nothing.
 *
 * - Requests (front door): `admit` writes the event before anything happens. If it cannot be
 *   written, a command that changes anything is refused with a clear message; a read-only one
 *   goes ahead. Either way the event is spooled, so the trail gets it once the store is back.
 * - Running jobs: `recordJobEvent` never loses an event to an audit outage. Events go to a
 *   spool in Redis (a list; Redis keeps the queues with AOF) and are written from it in order,
 *   retried with capped exponential backoff. One process drains at a time (a Redis lock); an
 *   event written but not yet removed from the spool when a process dies is not written twice,
 *   because appends are idempotent by event id.
 * - Spooled events carry a MAC: an event pushed into the spool by anyone but opsdeck is not
 *   written as the bot's; a `refused` row saying so is written in its place.
 */

export interface AuditWriterOptions {
  /** Redis key prefix (`redis.prefix`). */
  prefix: string;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  logger: Logger;
  /** Signs spooled events and checks them before they are written. */
  signer: WorkSigner;
}

export type Admission = { admitted: true } | { admitted: false; message: string };

export interface AuditHealth {
  /** False after a failed write, until a write succeeds again. */
  writable: boolean;
  lastError?: string;
  lastFailureAt?: number;
  lastWriteAt?: number;
}

export const AUDIT_DOWN_MESSAGE =
  'The audit trail cannot be written right now, so commands that change anything are refused until it is back. Read-only commands still work.';

/**
 * How long the spool's drain lock lasts without a write (each write renews it). A process killed
 * while draining holds the spool that long at most; a write slower than this lets a second
 * process drain beside it, which is safe (appends are idempotent by event id, both read the head).
 */
export const SPOOL_LOCK_TTL_MS = 5_000;

/** Removes the head of the spool only if it is the event just written. */
const POP_IF_HEAD = `
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then return redis.call('LPOP', KEYS[1]) end
return false
`;

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class AuditWriter {
  private readonly spoolKey: string;
  private readonly lockKey: string;
  private state: AuditHealth = { writable: true };
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(
    private readonly store: AuditStore,
    private readonly redis: RedisClient,
    private readonly options: AuditWriterOptions,
  ) {
    this.spoolKey = `${options.prefix}:audit:spool`;
    this.lockKey = `${options.prefix}:audit:spool:lock`;
  }

  /** Writes what an earlier process left in the spool. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Stops retrying and waits for a drain in progress; the spool keeps what is left. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.draining;
  }

  health(): AuditHealth {
    return { ...this.state };
  }

  /**
   * The front door's gate: records the request (or denial, or approval) event; refuses a
   * changing request whose event cannot be written. The event is spooled when it fails.
   * `timeoutMs` bounds the wait (Slack's 3 s ack): an append still running then counts as not
   * written for this request, and is spooled if it fails later.
   */
  async admit(
    event: AuditEventInput,
    request: { readOnly: boolean; timeoutMs?: number },
  ): Promise<Admission> {
    const prepared = prepareEvent(event);
    const written = this.store.appendPrepared(prepared).then(
      () => {
        this.succeeded();
        return true;
      },
      async (error: unknown) => {
        this.failed(error);
        await this.spool(prepared).catch((spoolError: unknown) =>
          this.options.logger.error(
            { err: spoolError, eventId: prepared.eventId },
            'audit event could be neither written nor spooled',
          ),
        );
        return false;
      },
    );
    const ok =
      request.timeoutMs === undefined
        ? await written
        : await withTimeout(written, request.timeoutMs, () =>
            this.failed(`no answer from the audit store within ${request.timeoutMs} ms`),
          );
    if (ok || request.readOnly) return { admitted: true };
    return { admitted: false, message: AUDIT_DOWN_MESSAGE };
  }

  /**
   * Throws OpsdeckError(AuditUnavailable) unless the store can be read now and nothing failed
   * to be written since (after a failure it first tries to write the spool out). For checks
   * before acting, e.g. before deciding an approval; it may wait for the spool, so call it
   * after acknowledging Slack.
   */
  async ensureWritable(): Promise<void> {
    try {
      await this.store.probe();
    } catch (error) {
      this.failed(error);
      throw unavailable(error);
    }
    if (this.state.writable) return;
    await this.drain();
    if ((await this.spoolDepth()) > 0) throw unavailable(this.state.lastError);
    this.state = { ...this.state, writable: true };
  }

  /** Spools an event of a running job; it is written in order, retried until it is. */
  async recordJobEvent(event: AuditEventInput): Promise<void> {
    await this.spool(prepareEvent(event));
    this.kick();
  }

  async spoolDepth(): Promise<number> {
    return this.redis.llen(this.spoolKey);
  }

  /** Waits until the spool is empty; false if it is not within `timeoutMs`. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      if ((await this.spoolDepth()) === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(100, deadline - Date.now()));
    }
  }

  /** One pass over the spool (also run by `kick` and the retry timer). */
  async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.drainAgain = false;
        await this.drainOnce();
      } while (this.drainAgain && !this.stopped);
    })().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const token = randomBytes(8).toString('hex');
    const locked = await this.redis.set(this.lockKey, token, 'PX', SPOOL_LOCK_TTL_MS, 'NX');
    if (!locked) {
      // Another process drains; look again later in case it dies.
      if ((await this.spoolDepth()) > 0) this.scheduleRetry(false);
      return;
    }
    try {
      for (;;) {
        const raw = await this.redis.lindex(this.spoolKey, 0);
        if (raw === null) break;
        try {
          await this.store.appendPrepared(this.spooled(raw));
        } catch (error) {
          this.failed(error);
          this.options.logger.warn(
            { err: error, attempt: this.attempt },
            'audit spool: write failed, will retry',
          );
          this.scheduleRetry(true);
          return;
        }
        this.succeeded();
        await this.redis.eval(POP_IF_HEAD, 1, this.spoolKey, raw);
        await this.redis.pexpire(this.lockKey, SPOOL_LOCK_TTL_MS);
      }
      this.attempt = 0;
    } finally {
      await this.redis.eval(RELEASE_IF_OWNER, 1, this.lockKey, token);
    }
  }

  private async spool(event: PreparedEvent): Promise<void> {
    const mac = this.options.signer.sign('audit-spool', event);
    await this.redis.rpush(this.spoolKey, JSON.stringify({ event, mac }));
  }

  /** The spooled event, or, for an entry opsdeck did not write, a `refused` row saying so. */
  private spooled(raw: string): PreparedEvent {
    let stored: { event?: unknown; mac?: unknown } | null = null;
    try {
      stored = JSON.parse(raw) as { event?: unknown; mac?: unknown } | null;
    } catch {
      // not JSON: refused below like any entry without a valid MAC
    }
    const check = this.options.signer.check('audit-spool', stored?.event, stored?.mac);
    if (check.ok) return stored!.event as PreparedEvent;
    const reason = describeMacFailure(check.reason);
    workRefused.inc({ kind: 'audit-spool' });
    this.options.logger.error({ reason }, 'audit spool entry not written by opsdeck; refused');
    return prepareEvent({
      type: 'refused',
      // One row per refused entry, however often the write is retried.
      eventId: createHash('sha256').update(raw).digest('hex').slice(0, 32),
      detail: {
        kind: 'audit-spool',
        reason: `an entry in the audit spool was not written: ${reason}`,
      },
    });
  }

  private kick(): void {
    if (this.stopped) return;
    this.drain().catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'audit spool: drain failed, will retry');
      this.scheduleRetry(true);
    });
  }

  private scheduleRetry(backoff: boolean): void {
    if (this.stopped || this.retryTimer) return;
    const { retryBaseDelayMs, retryMaxDelayMs } = this.options;
    if (backoff) this.attempt += 1;
    const delay = backoff
      ? backoffDelay(this.attempt, { baseDelayMs: retryBaseDelayMs, maxDelayMs: retryMaxDelayMs })
      : retryBaseDelayMs;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  private succeeded(): void {
    this.state = { ...this.state, writable: true, lastWriteAt: Date.now() };
  }

  private failed(error: unknown): void {
    this.state = {
      ...this.state,
      writable: false,
      lastError: describeError(error),
      lastFailureAt: Date.now(),
    };
  }
}

function unavailable(cause: unknown): OpsdeckError {
  return new OpsdeckError(
    ErrorCode.AuditUnavailable,
    `${AUDIT_DOWN_MESSAGE} (${typeof cause === 'string' ? cause : describeError(cause)})`,
    { cause, retryable: true },
  );
}

/** `work`'s answer, or false (after `onTimeout`) when it takes longer than `ms`. */
async function withTimeout(
  work: Promise<boolean>,
  ms: number,
  onTimeout: () => void,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
