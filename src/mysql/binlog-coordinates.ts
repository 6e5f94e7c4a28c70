import { ErrorCode, OpsdeckError } from '../errors';

/** A place in a source's binary log: the file's name and a byte offset in it. */
export interface BinlogCoordinates {
  file: string;
  pos: number;
}

/** One binary log file as SHOW BINARY LOGS lists it. */
export interface BinlogFile {
  name: string;
  size: number;
}

/**
 * Binary log names are `<basename>.<sequence>` (`mysql-bin-changelog.012345` on RDS,
 * `binlog.000042` here). The check keeps a typo (or an injection attempt) out of CHANGE MASTER TO.
 */
const BINLOG_NAME = /^[A-Za-z0-9_.-]{1,200}\.(\d{1,10})$/;

/** The first event of every binary log starts at byte 4, after the magic number. */
export const BINLOG_FIRST_POSITION = 4;

export function checkCoordinates(coordinates: BinlogCoordinates): BinlogCoordinates {
  const { file, pos } = coordinates;
  if (!BINLOG_NAME.test(file))
    throw new OpsdeckError(
      ErrorCode.InputInvalid,
      `not a binary log file name (<basename>.<number>): ${JSON.stringify(file)}`,
    );
  if (!Number.isSafeInteger(pos) || pos < BINLOG_FIRST_POSITION)
    throw new OpsdeckError(
      ErrorCode.InputInvalid,
      `not a binary log position (an integer from ${BINLOG_FIRST_POSITION}): ${String(pos)}`,
    );
  return coordinates;
}

/**
 * Orders two coordinates of the same source: by the file's sequence number, then by position.
 * Files with different basenames (the source's log-bin setting changed) are ordered by name.
 */
export function compareCoordinates(a: BinlogCoordinates, b: BinlogCoordinates): number {
  const sa = BINLOG_NAME.exec(a.file);
  const sb = BINLOG_NAME.exec(b.file);
  const base = (file: string, match: RegExpExecArray | null) =>
    match ? file.slice(0, file.length - match[1]!.length) : file;
  if (sa && sb && base(a.file, sa) === base(b.file, sb)) {
    const bySequence = Number(sa[1]) - Number(sb[1]);
    if (bySequence !== 0) return Math.sign(bySequence);
  } else if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return Math.sign(a.pos - b.pos);
}

export function formatCoordinates(coordinates: BinlogCoordinates): string {
  return `${coordinates.file}:${coordinates.pos}`;
}

/**
 * Bytes of binary log from `from` to `to` over the source's files (SHOW BINARY LOGS): what a
 * replica executed at `from` still has to read and apply to reach `to`. 0 when `from` is at or
 * past `to`; null when a file in between is not listed (purged, or another source's).
 */
export function bytesBetween(
  logs: readonly BinlogFile[],
  from: BinlogCoordinates,
  to: BinlogCoordinates,
): number | null {
  if (compareCoordinates(from, to) >= 0) return 0;
  if (from.file === to.file) return to.pos - from.pos;
  const first = logs.findIndex((log) => log.name === from.file);
  const last = logs.findIndex((log) => log.name === to.file);
  if (first < 0 || last < first) return null;
  let bytes = Math.max(0, logs[first]!.size - from.pos);
  for (const log of logs.slice(first + 1, last)) bytes += log.size;
  return bytes + to.pos;
}
