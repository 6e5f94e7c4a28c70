/**
 * Point-in-time restore semantics of the sandbox. RDS restores "to the second"; binlog events
 * carry whole-second timestamps, so a restore to RestoreTime yields the data as of the END of
 * RestoreTime's second: every transaction stamped in that second or earlier is in, everything
 * later is out. (Insert at 12:00:00.100, restore to 12:00:00.000 → the row is there.)
 */
export interface RestoreWindow {
  earliest: Date;
  latest: Date;
}

const DAY_MS = 24 * 3600 * 1000;

/** Null when backups are off (retention 0): no point-in-time restore possible. */
export function restoreWindow(
  createdAt: Date,
  retentionDays: number,
  now: Date,
  lagMs: number,
): RestoreWindow | null {
  if (retentionDays === 0) return null;
  const earliest = new Date(Math.max(createdAt.getTime(), now.getTime() - retentionDays * DAY_MS));
  const latest = new Date(Math.max(earliest.getTime(), wholeSecond(now.getTime() - lagMs)));
  return { earliest, latest };
}

export function isWithin(window: RestoreWindow, time: Date): boolean {
  return time.getTime() >= wholeSecond(window.earliest.getTime()) && time <= window.latest;
}

/** Replay stops before the first event stamped at or after this instant. */
export function replayStopFor(restoreTime: Date): Date {
  return new Date(wholeSecond(restoreTime.getTime()) + 1000);
}

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
