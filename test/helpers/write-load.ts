import mysql, { type Pool } from 'mysql2/promise';

/**
 * A steady write load on one MySQL server: `writesPerSecond` statements, each due at its own
 * instant (start + n / rate) so the load is paced, not bursty, sent over a small pool. For
 * benchmarks and end-to-end tests that must show an operation on the server "never made writes
 * fail or stall": every error is counted, and every write's latency is measured from the instant
 * it was due (not from when a connection was free), so time spent waiting for a stuck server
 * shows up even while the pool is exhausted.
 */
export interface WriteStatement {
  sql: string;
  values?: unknown[];
}

/** The statement for the write with this sequence number (0, 1, 2, ...). */
export type WriteMix = (sequence: number) => WriteStatement;

export interface WriteLoadOptions {
  /** Where and as whom (TLS options included, for a server that requires it). */
  connection: mysql.PoolOptions;
  writesPerSecond: number;
  mix: WriteMix;
  /** Connections in the pool (default 4): writes due while all are busy wait in its queue. */
  poolSize?: number;
  /** How many distinct error messages to keep (default 5). */
  errorSamples?: number;
}

export interface WriteLoadStats {
  seconds: number;
  /** Writes that were due and sent. */
  sent: number;
  succeeded: number;
  failed: number;
  /** The first distinct error messages, for the report. */
  errorSamples: string[];
  /** Successful writes per second over the whole run. */
  achievedPerSecond: number;
  /** From the instant a write was due to its answer. */
  latencyMs: { p50: number; p99: number; max: number };
  /** The longest time without any write finishing (a stall shows here even if none failed). */
  longestGapMs: number;
}

export interface WriteLoad {
  start(): void;
  /** Stops sending, waits for the writes in flight, closes the pool, returns what happened. */
  stop(): Promise<WriteLoadStats>;
}

export function createWriteLoad(options: WriteLoadOptions): WriteLoad {
  if (!(options.writesPerSecond > 0)) throw new Error('writesPerSecond must be above 0');
  const intervalMs = 1000 / options.writesPerSecond;
  const maxSamples = options.errorSamples ?? 5;
  let pool: Pool | undefined;
  let timer: NodeJS.Timeout | undefined;
  let startedAt = 0;
  let stoppedAt = 0;
  let sent = 0;
  let failed = 0;
  let lastFinish = 0;
  let longestGapMs = 0;
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  const inFlight = new Set<Promise<void>>();

  const finished = (now: number) => {
    longestGapMs = Math.max(longestGapMs, now - lastFinish);
    lastFinish = now;
  };

  const send = (sequence: number, dueAt: number) => {
    const { sql, values } = options.mix(sequence);
    const write = pool!.query(sql, values).then(
      () => {
        const now = performance.now();
        latencies.push(now - dueAt);
        finished(now);
      },
      (error: unknown) => {
        failed += 1;
        finished(performance.now());
        const message = error instanceof Error ? error.message : String(error);
        if (errorSamples.length < maxSamples && !errorSamples.includes(message))
          errorSamples.push(message);
      },
    );
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
  };

  // Sends every write that is due, then sleeps until the next one is: a late timer (a busy event
  // loop) sends the overdue writes at once, and their latency counts from when they were due.
  const tick = () => {
    const now = performance.now();
    while (startedAt + sent * intervalMs <= now) {
      send(sent, startedAt + sent * intervalMs);
      sent += 1;
    }
    timer = setTimeout(tick, Math.max(0, startedAt + sent * intervalMs - performance.now()));
  };

  return {
    start() {
      if (pool) throw new Error('the write load was started already');
      pool = mysql.createPool({
        ...options.connection,
        connectionLimit: options.poolSize ?? 4,
        charset: 'utf8mb4',
      });
      startedAt = performance.now();
      lastFinish = startedAt;
      tick();
    },
    async stop() {
      if (!pool) throw new Error('the write load was not started');
      clearTimeout(timer);
      stoppedAt = performance.now();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await pool.end();
      const sorted = Float64Array.from(latencies).sort();
      const at = (fraction: number) =>
        sorted.length === 0
          ? 0
          : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
      const seconds = (stoppedAt - startedAt) / 1000;
      return {
        seconds,
        sent,
        succeeded: latencies.length,
        failed,
        errorSamples,
        achievedPerSecond: seconds > 0 ? latencies.length / seconds : 0,
        latencyMs: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
        longestGapMs,
      };
    },
  };
}
