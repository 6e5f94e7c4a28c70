import { describeError, ErrorCode, isOpsdeckError } from '../../errors';
import type { Logger } from '../../log/logger';
import { auditDigests } from '../../metrics/metrics';
import { backoffDelay } from '../../util/backoff';
import type { AnchorOutcome, AnchorReason, AnchorWriter } from './anchor-writer';

/**
 * When digests are written: every `intervalMs` (and once at start), and after every job's end,
 * without ever making a job wait. Requests that arrive while a write runs are merged into one
 * more write after it. Before each write the audit spool is flushed (for up to 5 s), so a job's
 * last rows are in the database when its digest reads the head. A failed write (sink, database or Redis down, or
 * refused because the trail changed) is retried with capped exponential backoff until it
 * succeeds, and reported once per failing streak (and once when it recovers).
 */

export interface AnchorHealthReport {
  failing: boolean;
  /** True when the writer refused: the rows no longer extend the last digest. */
  tampered?: boolean;
  error?: string;
  name?: string;
}

export interface AnchorSchedulerOptions {
  writer: Pick<AnchorWriter, 'anchor'>;
  /** Writes the audit spool out; false when it could not within the time given. */
  flushSpool: (timeoutMs: number) => Promise<boolean>;
  intervalMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** How soon to try again when another process holds the digest lock. */
  busyRetryMs?: number;
  report: (report: AnchorHealthReport) => Promise<void>;
  logger: Logger;
}

export class AnchorScheduler {
  private pending: AnchorReason | null = null;
  private running: Promise<void> | null = null;
  private interval: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = true;

  constructor(private readonly o: AnchorSchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.interval = setInterval(() => this.request('interval'), this.o.intervalMs);
    this.interval.unref();
    this.request('interval');
  }

  /** Asks for a digest; returns at once. */
  request(reason: AnchorReason): void {
    if (this.stopped) return;
    // An interval request may write a heartbeat, which a job-end request never does.
    this.pending = this.pending === 'interval' || reason === 'interval' ? 'interval' : 'job-end';
    if (!this.running && !this.retry) this.running = this.drain();
  }

  /** Stops the timers and retries; a write under way is finished first. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    if (this.retry) clearTimeout(this.retry);
    this.interval = null;
    this.retry = null;
    await this.running;
  }

  /** Resolves once nothing is pending, running or waiting to retry (for tests and shutdown). */
  async idle(pollMs = 20): Promise<void> {
    while (!this.stopped && (this.running || this.retry || this.pending)) {
      await (this.running ?? new Promise((resolve) => setTimeout(resolve, pollMs)));
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const reason = this.pending;
        this.pending = null;
        const delay = await this.attempt(reason);
        if (delay !== null) {
          this.pending = this.pending === 'interval' ? 'interval' : reason;
          this.scheduleRetry(delay);
          return;
        }
      }
    } finally {
      this.running = null;
    }
  }

  /** null when done; else how long to wait before trying again. */
  private async attempt(reason: AnchorReason): Promise<number | null> {
    let outcome: AnchorOutcome;
    try {
      // Best effort: under a steady stream of events the spool is rarely empty for long, and
      // rows still in it are anchored by the next digest.
      await this.o.flushSpool(5000);
      outcome = await this.o.writer.anchor(reason);
    } catch (error) {
      return this.failed(error);
    }
    if (outcome.kind === 'busy') return this.o.busyRetryMs ?? 1000;
    auditDigests.inc({ outcome: outcome.kind });
    if (outcome.kind === 'written') {
      this.o.logger.info({ digest: outcome.name, seq: outcome.digest.seq }, 'audit digest written');
    }
    if (this.failures > 0) {
      this.failures = 0;
      await this.report({ failing: false, name: outcome.name });
    }
    return null;
  }

  private async failed(error: unknown): Promise<number> {
    const tampered = isOpsdeckError(error) && error.code === ErrorCode.AuditAnchorRefused;
    auditDigests.inc({ outcome: tampered ? 'refused' : 'failed' });
    this.failures += 1;
    this.o.logger[tampered ? 'error' : 'warn'](
      { err: error, failures: this.failures },
      tampered
        ? 'audit digest refused: the trail changed under it'
        : 'audit digest not written, will retry',
    );
    if (this.failures === 1) {
      await this.report({ failing: true, tampered, error: describeError(error) });
    }
    return backoffDelay(this.failures - 1, {
      baseDelayMs: this.o.retryBaseDelayMs,
      maxDelayMs: this.o.retryMaxDelayMs,
    });
  }

  private async report(report: AnchorHealthReport): Promise<void> {
    await this.o
      .report(report)
      .catch((error: unknown) =>
        this.o.logger.error({ err: error }, 'could not report the audit digest health'),
      );
  }

  private scheduleRetry(delayMs: number): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.running && this.pending) this.running = this.drain();
    }, delayMs);
    this.retry.unref();
  }
}
