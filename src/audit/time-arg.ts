/**
 * Times on the audit command line: `now`, an ISO-8601 date (`2025-11-21`, taken as UTC
 * midnight) or date-time (`2025-11-21T16:00:00Z`, `2025-11-21T18:00+02:00`; without a zone it is
 * UTC), or a duration ago (`90m`, `24h`, `7d`, `2w`). Returns epoch ms, or null when unreadable.
 */
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const AGO = /^(\d{1,6})([smhdw])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?$/;

export function parseTimeArg(text: string, now = Date.now()): number | null {
  const value = text.trim();
  if (value === 'now') return now;
  const ago = AGO.exec(value);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS];
  if (DATE.test(value)) return checked(`${value}T00:00:00Z`, value);
  const dateTime = DATE_TIME.exec(value);
  if (dateTime) return checked(`${dateTime[1]}T${dateTime[2]}${dateTime[3] ?? 'Z'}`, dateTime[1]!);
  return null;
}

/** Date.parse accepts 2025-02-31 (as March 3); refuse dates that do not exist. */
function checked(iso: string, date: string): number | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(y, mo - 1, d));
  return calendar.getUTCFullYear() === y &&
    calendar.getUTCMonth() === mo - 1 &&
    calendar.getUTCDate() === d
    ? ms
    : null;
}
