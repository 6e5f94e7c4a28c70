/**
 * Slack mrkdwn as a terminal shows it: date tokens in local time (the fallback text when the
 * token cannot be read), mentions by name, the emoji opsdeck uses as symbols, links as text.
 */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔',
  x: '❌',
  warning: '⚠️',
  hourglass_flowing_sand: '⏳',
  arrow_forward: '▶',
  bar_chart: '📊',
  broom: '🧹',
  rotating_light: '🚨',
  no_entry_sign: '🚫',
  inbox_tray: '📥',
  information_source: 'ℹ️',
  arrows_counterclockwise: '🔄',
  double_vertical_bar: '⏸',
  grey_question: '❔',
  no_entry: '⛔',
  lock: '🔒',
  unlock: '🔓',
  rocket: '🚀',
  mag: '🔍',
  memo: '📝',
  round_pushpin: '📍',
  point_right: '👉',
  red_circle: '🔴',
  white_circle: '⚪',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  large_orange_circle: '🟠',
  large_blue_circle: '🔵',
  wrench: '🔧',
  wastebasket: '🗑',
  hourglass: '⌛',
  heavy_multiplication_x: '✖',
};

export function renderMrkdwn(
  text: string,
  userNames: ReadonlyMap<string, string> = new Map(),
): string {
  return text
    .replace(
      /<!date\^(\d+)\^([^|>]*)(?:\|([^>]*))?>/g,
      (_all, seconds: string, format: string, fallback?: string) =>
        renderDate(Number(seconds), format, fallback),
    )
    .replace(
      /<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g,
      (_all, id: string, label?: string) => `@${label ?? userNames.get(id) ?? id}`,
    )
    .replace(/<#([CG][A-Z0-9]+)\|([^>]*)>/g, (_all, _id: string, name: string) => `#${name}`)
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:\/\/[^>]+)>/g, '$1')
    .replace(/:([a-z0-9_+-]+):/g, (all, name: string) => EMOJI[name] ?? all)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function renderDate(seconds: number, format: string, fallback?: string): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return fallback ?? '';
  const time = date.toLocaleTimeString('en-GB', { hour12: false });
  if (format.includes('{date')) return `${date.toLocaleDateString('en-CA')} ${time}`;
  return time;
}
