import { ErrorCode, OpsdeckError } from '../errors';
import {
  compareCoordinates,
  formatCoordinates,
  type BinlogCoordinates,
} from './binlog-coordinates';
import { binlogBytesBetween, readSourcePosition } from './binlog-source';
import type { Queryable } from './queryable';
import {
  describeReplicaHealth,
  readReplicaStatus,
  type IoThreadState,
  type ReplicaStatus,
  type SqlThreadState,
} from './replica-status';
import { readServerFlavor, type ServerFlavor } from './server-flavor';
import { sleep } from '../util/sleep';

export interface CatchUpProgress {
  /** Share of the binlog bytes from where the watch started to the target that is applied. */
  percent: number;
  /** From the rate so far; null until the replica has applied something. */
  etaMs: number | null;
  /** Binlog bytes applied since the watch began, of those it had to apply; null if unknown. */
  bytes: { applied: number; total: number } | null;
  secondsBehind: number | null;
  executed: BinlogCoordinates;
  target: BinlogCoordinates;
  io: IoThreadState;
  sql: SqlThreadState;
}

export interface CatchUpOptions {
  replica: Queryable;
  /** An account on the source that may run SHOW MASTER STATUS and SHOW BINARY LOGS. */
  source: Queryable;
  /** The replica's flavor (the source's is read). */
  flavor: ServerFlavor;
  pollMs: number;
  maxWaitMs: number;
  signal?: AbortSignal;
  onProgress?: (progress: CatchUpProgress) => void;
}

export interface CatchUpResult {
  target: BinlogCoordinates;
  status: ReplicaStatus;
  elapsedMs: number;
}

/** Network trouble between replica and source: the replica retries, and so may the runbook. */
const CONNECTION_ERRNOS = new Set([2003, 2005, 2006, 2013]);

/**
 * Waits until a replica has caught up with its source: both threads running, the executed
 * coordinates at or past the source's position when the watch started (the target), and no lag.
 * Fails at once when a thread stops or reports an error, with the server's text
 * (ReplicationBinlogGone for a purged binlog, else ReplicationBroken; retryable when it is the
 * network), and with ReplicationWaitTimeout after maxWaitMs.
 *
 * Start it after START REPLICA: CHANGE MASTER TO keeps the last error of a previous attempt, the
 * threads clear it when they start (before START returns), so a stale error is not mistaken for
 * a new one.
 */
export async function watchCatchUp(options: CatchUpOptions): Promise<CatchUpResult> {
  const { replica, source, flavor } = options;
  const started = Date.now();
  const target = await readSourcePosition(source, await readServerFlavor(source));
  let baseline: { bytes: number; at: number } | null = null;
  let percent = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const status = await readReplicaStatus(replica, flavor);
    failIfBroken(status);
    const remaining = await binlogBytesBetween(source, status.executed, target);
    const now = Date.now();
    const reached = compareCoordinates(status.executed, target) >= 0;
    let etaMs: number | null = null;
    let bytes: CatchUpProgress['bytes'] = null;
    if (remaining !== null) {
      baseline ??= { bytes: remaining, at: now };
      ({ percent, etaMs } = catchUpEstimate(baseline.bytes, remaining, now - baseline.at));
      const total = Math.max(baseline.bytes, remaining);
      bytes = { applied: reached ? total : total - remaining, total };
    }
    if (reached) percent = 100;
    const caughtUp =
      reached &&
      status.ioRunning === 'Yes' &&
      status.sqlRunning === 'Yes' &&
      status.secondsBehind === 0;
    options.onProgress?.({
      percent,
      etaMs: caughtUp ? 0 : etaMs,
      bytes,
      secondsBehind: status.secondsBehind,
      executed: status.executed,
      target,
      io: status.ioRunning,
      sql: status.sqlRunning,
    });
    if (caughtUp) return { target, status, elapsedMs: now - started };
    if (now - started >= options.maxWaitMs)
      throw new OpsdeckError(
        ErrorCode.ReplicationWaitTimeout,
        `the replica did not catch up with ${formatCoordinates(target)} within ${options.maxWaitMs} ms: ${describeReplicaHealth(status).summary}`,
        { retryable: true },
      );
    await sleep(options.pollMs, options.signal);
  }
}

/**
 * Percent of `startBytes` applied and the time left at the rate so far. 100 % when nothing was
 * left to apply; no ETA before any progress.
 */
export function catchUpEstimate(
  startBytes: number,
  remainingBytes: number,
  elapsedMs: number,
): { percent: number; etaMs: number | null } {
  if (startBytes <= 0 || remainingBytes <= 0) return { percent: 100, etaMs: 0 };
  const done = Math.max(0, startBytes - remainingBytes);
  const percent = Math.min(100, Math.floor((done / startBytes) * 1000) / 10);
  const etaMs = done > 0 && elapsedMs > 0 ? Math.round((elapsedMs / done) * remainingBytes) : null;
  return { percent, etaMs };
}

function failIfBroken(status: ReplicaStatus | null): asserts status is ReplicaStatus {
  const health = describeReplicaHealth(status);
  const detail = () => [health.summary, health.error, health.advice].filter(Boolean).join('. ');
  switch (health.state) {
    case 'not-a-replica':
      throw new OpsdeckError(
        ErrorCode.MysqlNotAReplica,
        'the server is not configured as a replica',
      );
    case 'binlog-gone':
      throw new OpsdeckError(ErrorCode.ReplicationBinlogGone, `replication failed: ${detail()}`);
    case 'broken':
    case 'stopped':
      throw new OpsdeckError(ErrorCode.ReplicationBroken, `replication failed: ${detail()}`, {
        retryable: CONNECTION_ERRNOS.has(status!.lastIoErrno) && status!.sqlRunning === 'Yes',
      });
    case 'connecting':
      if (health.error !== undefined)
        throw new OpsdeckError(ErrorCode.ReplicationBroken, `replication failed: ${detail()}`, {
          retryable: CONNECTION_ERRNOS.has(status!.lastIoErrno),
        });
  }
}
