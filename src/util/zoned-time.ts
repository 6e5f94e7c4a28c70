/**
 * A time as read on a wall clock in an IANA time zone (`Europe/Paris`), with the zone's short
 * name: `4 Dec 2026, 17:59:59 CET`. Undefined for a zone the runtime does not know.
 */
export function zonedTime(at: Date, timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
      timeZoneName: 'short',
    }).format(at);
  } catch {
    return undefined;
  }
}
