import { join, md, type Mrkdwn } from '../slack/mrkdwn';

/**
 * What a deploy changes, in one line for the plan and the announcement: what the hosts run now
 * (from the history) and what they will run, `v1.4.1 → v1.4.2`. Hosts that run different refs are
 * grouped by ref (`v1.4.1 on 10.0.0.1, 10.0.0.2; v1.4.0 on 10.0.0.3 → v1.4.2`); hosts never
 * deployed run "nothing deployed yet".
 */

/** Hosts named per ref before "and N more". */
const NAMED_HOSTS = 5;
const NOTHING = 'nothing deployed yet';

export function describeTransition(
  hosts: readonly string[],
  now: ReadonlyMap<string, string>,
  ref: string,
): Mrkdwn {
  const byRef = new Map<string, string[]>();
  for (const host of hosts) {
    const running = now.get(host) ?? NOTHING;
    byRef.set(running, [...(byRef.get(running) ?? []), host]);
  }
  const groups = [...byRef.entries()];
  if (groups.length <= 1) return md`${groups[0]?.[0] ?? NOTHING} → ${ref}`;
  const named = (list: string[]) =>
    list.length > NAMED_HOSTS
      ? `${list.slice(0, NAMED_HOSTS).join(', ')} and ${list.length - NAMED_HOSTS} more`
      : list.join(', ');
  return md`${join(
    groups.map(([running, list]) => md`${running} on ${named(list)}`),
    '; ',
  )} → ${ref}`;
}
