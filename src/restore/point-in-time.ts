/**
 * `--at` for /restore-table: the moment to restore to, as the user can best name it mid-incident.
 *
 * - ISO-8601: `2025-11-21T15:59:30Z`, `2025-11-21 15:59:30+01:00`; without an offset it is UTC.
 * - Relative: `15m ago`, `90s ago`, `2h ago`, `1d ago`, `1h30m ago`.
 * - A Slack message link (`https://acme.slack.com/archives/C0123/p1763740800123456`): one second
 *   before the message was posted, so "restore to just before this message" needs no clock.
 *
 * Returns a Date with whole seconds (RDS restore times are to the second), or an error message.
 */
export type PointInTime = { at: Date; from: 'iso' | 'relative' | 'slack-link' } | { error: string };

export const AT_FORMATS =
  'an ISO-8601 time (2025-11-21T15:59:30Z; UTC unless it has an offset), a relative time (15m ago, 1h30m ago) or a Slack message link';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const RELATIVE = /^((?:\d{1,6}[smhd]\s*){1,4})ago$/i;
const RELATIVE_PART = /(\d{1,6})([smhd])/gi;
const SLACK_LINK =
  /^<?https:\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*\.slack\.com\/archives\/[A-Z0-9]{2,20}\/p(\d{10})(\d{6})(?:[?#][^\s>|]*)?(?:\|[^>]*)?>?$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function parseIso(match: RegExpExecArray): PointInTime {
  const [, y, mo, d, h, mi, s = '0', , offset = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return { error: 'is not a valid date and time' };
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  if (date.getUTCDate() !== day) return { error: 'is not a valid date and time' };
  const local = date.getTime();
  let offsetMs = 0;
  if (offset.toUpperCase() !== 'Z') {
    const digits = offset.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 14 || minutes > 59) return { error: 'has an offset that does not exist' };
    offsetMs = (hours * 60 + minutes) * 60_000 * (digits.startsWith('-') ? -1 : 1);
  }
  return { at: wholeSeconds(local - offsetMs), from: 'iso' };
}

/**
 * One second before a Slack message's ts (`1763740800.123456`), in whole seconds: the time a
 * message link or the "restore to before this message" shortcut means.
 */
export function beforeMessage(ts: string): Date {
  return wholeSeconds(Number(ts.split('.')[0]) * 1000 - 1000);
}

export function parsePointInTime(text: string, now: Date): PointInTime {
  const trimmed = text.trim();
  const iso = ISO.exec(trimmed);
  if (iso) return parseIso(iso);
  const relative = RELATIVE.exec(trimmed);
  if (relative) {
    let ms = 0;
    for (const [, amount, unit] of relative[1]!.matchAll(RELATIVE_PART))
      ms += Number(amount) * UNIT_MS[unit!.toLowerCase()]!;
    if (ms === 0) return { error: 'must be some time ago (like 15m ago)' };
    return { at: wholeSeconds(now.getTime() - ms), from: 'relative' };
  }
  const link = SLACK_LINK.exec(trimmed);
  if (link) return { at: beforeMessage(`${link[1]}.${link[2]}`), from: 'slack-link' };
  return { error: `must be ${AT_FORMATS}` };
}
