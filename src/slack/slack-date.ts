/**
 * A time as a Slack date token, so every reader sees it in their own time zone, with the UTC
 * ISO-8601 text as the fallback Slack shows where tokens are not rendered (and the console shows).
 */
export function formatSlackDate(
  when: Date | number,
  format = '{date_short_pretty} {time_secs}',
): string {
  const ms = toMs(when);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${isoSeconds(ms)}>`;
}

/** `2025-11-21T16:00:00Z`: ISO-8601 in UTC, to the second. */
export function isoSeconds(when: Date | number): string {
  return new Date(Math.floor(toMs(when) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function toMs(when: Date | number): number {
  const ms = typeof when === 'number' ? when : when.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid time: ${String(when)}`);
  return ms;
}
