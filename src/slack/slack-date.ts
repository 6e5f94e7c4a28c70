import { isoSeconds, toMs } from '../util/time';

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
