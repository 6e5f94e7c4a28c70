import type { BinlogFile } from '../mysql/binlog-coordinates';
import { HOUR_MS } from '../util/duration';

/** When a source's closed binary log was closed (its successor first seen), and whether that is exact. */
export interface BinlogClosedAt {
  at: number;
  /**
   * False when the successor was already there at the first check of that source: the file was
   * closed at or before `at`, so the margin computed from it is an upper bound.
   */
  exact: boolean;
}

export interface SourceBinlogs {
  /** RDS `binlog retention hours`; null: purged as soon as possible. */
  retentionHours: number | null;
  /** False when the source is not RDS (its own expiry settings decide; not read). */
  retentionKnown: boolean;
  /** SHOW BINARY LOGS, oldest first. */
  binlogs: readonly BinlogFile[];
  closedAt: Readonly<Record<string, BinlogClosedAt>>;
}

/**
 * How long the replica can stay disconnected or behind before its source purges the binary log it
 * still needs (the file of its executed coordinates): RDS purges a closed file `retention hours`
 * after it was closed, so the margin is that moment minus now; a file still being written has the
 * whole retention ahead; a NULL retention or a file already gone leaves none.
 */
export interface Margin {
  /** Null when it cannot be told (not RDS, no coordinates); 0 when nothing is left. */
  seconds: number | null;
  /** The oldest file the replica needs. */
  neededFile: string | null;
  /** True when `seconds` is an upper bound (see BinlogClosedAt.exact). */
  atMost: boolean;
  /** Why, in a few words, for the alert and the status. */
  basis: string;
}

export function computeMargin(
  neededFile: string | null,
  source: SourceBinlogs,
  now: number,
): Margin {
  const none = (basis: string): Margin => ({ seconds: null, neededFile, atMost: false, basis });
  if (!source.retentionKnown)
    return none('the source is not RDS: its own binlog expiry settings decide (not read)');
  if (neededFile === null || neededFile === '')
    return none('the replica has no executed coordinates');
  const index = source.binlogs.findIndex((log) => log.name === neededFile);
  if (index < 0)
    return {
      seconds: 0,
      neededFile,
      atMost: false,
      basis: `the source no longer has ${neededFile}`,
    };
  if (source.retentionHours === null)
    return {
      seconds: 0,
      neededFile,
      atMost: false,
      basis: 'binlog retention hours is NULL: the source purges its binary logs as soon as it can',
    };
  const retentionMs = source.retentionHours * HOUR_MS;
  if (index === source.binlogs.length - 1)
    return {
      seconds: Math.round(retentionMs / 1000),
      neededFile,
      atMost: false,
      basis: `${neededFile} is the source's current binary log; retention ${source.retentionHours} h`,
    };
  const closed = source.closedAt[neededFile];
  if (closed === undefined) return none(`when ${neededFile} was closed is not known yet`);
  return {
    seconds: Math.max(0, Math.round((closed.at + retentionMs - now) / 1000)),
    neededFile,
    atMost: !closed.exact,
    basis: `${neededFile} was closed ${closed.exact ? '' : 'at or before '}${new Date(closed.at).toISOString()}; retention ${source.retentionHours} h`,
  };
}
