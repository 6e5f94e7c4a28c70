/**
 * The patterns of access rules: `*` stands for any run of characters (also none), `?` for exactly
 * one; everything else matches itself, case-sensitively. `prod/*` matches `prod/billing`,
 * `restore-*` matches `restore-table`, `*` matches everything.
 */
export function matchPattern(pattern: string, value: string): boolean {
  return compile(pattern).test(value);
}

const cache = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  let regex = cache.get(pattern);
  if (!regex) {
    const body = Array.from(pattern, (ch) =>
      ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    ).join('');
    regex = new RegExp(`^${body}$`, 'su');
    cache.set(pattern, regex);
  }
  return regex;
}
