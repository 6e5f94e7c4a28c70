import type { AccessConfig, AccessRule } from '../config/access';

/**
 * What `opsdeck config check` says about the access rules besides "valid": rules that can never
 * apply, rules that never change a decision (shadowed), and rules whose restrictions another
 * rule bypassed under the old first-match semantics (now both apply and the restrictions hold:
 * a request that used to run may now be refused or wait for approval). Pure, for a config.
 *
 * Patterns are compared as patterns: two overlap when some name matches both; one covers another
 * when every name the second matches, the first matches too (decided for `*`, literal names and
 * `prefix*`; anything else counts as not covered, so "shadowed" is never said wrongly).
 */

export interface AccessFinding {
  kind: 'never-applies' | 'shadowed' | 'was-bypassed';
  ruleIndex: number;
  message: string;
}

export function reviewAccessRules(
  policy: AccessConfig,
  commandNames: readonly string[],
): AccessFinding[] {
  const findings: AccessFinding[] = [];
  const rules = policy.rules;
  rules.forEach((rule, j) => {
    const never = neverApplies(policy, rule, commandNames);
    if (never) {
      findings.push({ kind: 'never-applies', ruleIndex: j, message: `${at(j)} ${never}` });
      return;
    }
    const shadow = rules.findIndex((other, i) => i !== j && shadows(policy, other, i, rule, j));
    if (shadow >= 0) {
      findings.push({
        kind: 'shadowed',
        ruleIndex: j,
        message: `${at(j)} never changes a decision: ${at(shadow)} applies to every request it covers, at least as strictly; remove one`,
      });
    }
    if (rule.channels === undefined && rule.approval === undefined) return;
    for (const [other, i] of rules.map((r, k) => [r, k] as const)) {
      if (i === j || !overlaps(rule, other)) continue;
      const bypass = oldBypass(rule, j, other, i);
      if (bypass) {
        findings.push({
          kind: 'was-bypassed',
          ruleIndex: j,
          message: `${at(j)}'s ${bypass}; both apply now, so its restrictions hold (such requests may now be refused or wait for approval)`,
        });
      }
    }
  });
  return findings;
}

/** Why a rule can never apply to any request, or undefined. */
function neverApplies(
  policy: AccessConfig,
  rule: AccessRule,
  commandNames: readonly string[],
): string | undefined {
  if (!commandNames.some((name) => patternsOverlap(rule.command, name))) {
    return `can never apply: no command is named like \`${rule.command}\` (commands: ${commandNames.join(', ')})`;
  }
  const isEmpty = (name: string) => {
    const group = policy.groups[name];
    return group === undefined || (group.users.length === 0 && group.usergroups.length === 0);
  };
  const empty = rule.groups.filter(isEmpty);
  // A breakGlass group's members are granted the rule's emergencies.
  const emergencies = rule.breakGlass !== undefined && !isEmpty(rule.breakGlass.group);
  if (empty.length === rule.groups.length && !emergencies) {
    return `can never apply: its ${rule.groups.length === 1 ? 'group has' : 'groups have'} no users and no user groups (${empty.join(', ')})`;
  }
  return undefined;
}

/**
 * Whether `a` (at i) makes `b` (at j) useless: every request `b` applies to, `a` applies to, and
 * `a`'s requirements are at least as strict (so `b` neither grants nor restricts anything).
 */
function shadows(
  policy: AccessConfig,
  a: AccessRule,
  i: number,
  b: AccessRule,
  j: number,
): boolean {
  if (a.readOnly && !b.readOnly) return false;
  // What an emergency is granted depends on the deciding rule's breakGlass (BREAK_GLASS): a rule
  // naming one is never said to change nothing.
  if (b.breakGlass !== undefined) return false;
  if (!patternCovers(a.command, b.command)) return false;
  if (!targetsCover(a.targets, b.targets)) return false;
  if (!b.groups.every((group) => a.groups.includes(group))) return false;
  if (b.channels !== undefined) {
    if (a.channels === undefined || !a.channels.every((c) => b.channels!.includes(c))) return false;
  }
  if (b.approval === undefined) return true;
  if (a.approval === undefined) return false;
  const ttl = (rule: AccessRule) => rule.approval!.ttlMinutes ?? policy.approvalTtlMinutes;
  if (b.approval.distinct && !a.approval.distinct) return false;
  if (b.approval.recheckRequester && !a.approval.recheckRequester) return false;
  if (ttl(a) > ttl(b)) return false;
  // Equally strict: the first in the file chooses the approval group, so the later one is useless
  // only when it would ask the same group or comes second.
  const equal = a.approval.distinct === b.approval.distinct && ttl(a) === ttl(b);
  return !equal || a.approval.group === b.approval.group || i < j;
}

/**
 * How `other` (at i) bypassed `rule`'s (at j) restrictions when the first rule that admitted a
 * request granted it: coming first with fewer requirements, or coming after and admitting the
 * channels `rule` refused.
 */
function oldBypass(rule: AccessRule, j: number, other: AccessRule, i: number): string | undefined {
  const lost: string[] = [];
  const channelsOpen =
    rule.channels !== undefined &&
    (other.channels === undefined || other.channels.some((c) => !rule.channels!.includes(c)));
  const approvalWeaker =
    rule.approval !== undefined &&
    (other.approval === undefined || (rule.approval.distinct && !other.approval.distinct));
  if (i < j) {
    // First match: for every request both cover, `other` decided alone.
    if (rule.channels !== undefined && !sameOrNarrower(other.channels, rule.channels)) {
      lost.push(`channels (${rule.channels.join(', ')})`);
    }
    if (approvalWeaker) lost.push(`approval by ${rule.approval!.group}`);
  } else if (channelsOpen) {
    // `rule` was skipped from a channel it does not name, and `other` granted the request.
    lost.push(`channels (${rule.channels!.join(', ')})`);
    if (approvalWeaker) lost.push(`approval by ${rule.approval!.group}`);
  }
  if (lost.length === 0) return undefined;
  const how =
    i < j
      ? `it comes first and matches the same requests`
      : `it granted what ${at(j)} refused from another channel`;
  return `${lost.join(' and ')} were bypassed under the old first-match semantics by ${at(i)} (${how})`;
}

function sameOrNarrower(channels: readonly string[] | undefined, of: readonly string[]): boolean {
  return channels !== undefined && channels.every((c) => of.includes(c));
}

/** Whether some request could match both rules (command, target, a group in common). */
function overlaps(a: AccessRule, b: AccessRule): boolean {
  if (!patternsOverlap(a.command, b.command)) return false;
  if (!a.groups.some((group) => b.groups.includes(group))) return false;
  if (a.targets === undefined || b.targets === undefined) {
    return a.targets === undefined && b.targets === undefined;
  }
  return a.targets.some((x) => b.targets!.some((y) => patternsOverlap(x, y)));
}

function targetsCover(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined && b === undefined;
  return b.every((y) => a.some((x) => patternCovers(x, y)));
}

/** Whether every name `b` matches, `a` matches (decided for `*`, literals and `prefix*`). */
export function patternCovers(a: string, b: string): boolean {
  if (a === '*' || a === b) return true;
  const wild = /[*?]/;
  if (!wild.test(a)) return false;
  if (!wild.test(b)) return patternsOverlap(a, b);
  const prefix = a.slice(0, -1);
  return a.endsWith('*') && !wild.test(prefix) && b.startsWith(prefix);
}

/** Whether some name matches both patterns (`*`: any run, `?`: one character). */
export function patternsOverlap(a: string, b: string): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === x.length) result = y.slice(j).every((c) => c === '*');
    else if (j === y.length) result = x.slice(i).every((c) => c === '*');
    else if (x[i] === '*') result = go(i + 1, j) || go(i, j + 1);
    else if (y[j] === '*') result = go(i, j + 1) || go(i + 1, j);
    else result = (x[i] === '?' || y[j] === '?' || x[i] === y[j]) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

function at(i: number): string {
  return `access.rules[${i}]`;
}
