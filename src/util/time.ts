/** `2025-11-21T16:00:00Z`: ISO-8601 in UTC, to the second. */
export function isoSeconds(when: Date | number): string {
  return new Date(Math.floor(toMs(when) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds since the epoch of a Date or a number; a RangeError for an invalid time. */
export function toMs(when: Date | number): number {
  const ms = typeof when === 'number' ? when : when.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid time: ${String(when)}`);
  return ms;
}
