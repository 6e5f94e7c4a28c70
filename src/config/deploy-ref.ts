import { hiddenCharacterProblem } from '../util/hidden-characters';

/**
 * What a /deploy ref may be. Always (the grammar, the planner and the worker): 1-255 characters,
 * no invisible or bidirectional control character (what the approver reads is what runs), and
 * not starting with `-` (the deploy program would read it as an option). Then, per environment,
 * either git's rules for a ref name (`git check-ref-format --allow-onelevel`: what a tag, a
 * branch or a commit id can be called) or the environment's own `refPattern`.
 */
export function refProblem(ref: string): string | null {
  if (ref.length === 0 || ref.length > 255) return 'must be 1-255 characters';
  const hidden = hiddenCharacterProblem(ref);
  if (hidden) return hidden;
  if (ref.startsWith('-'))
    return 'must not start with - (the deploy command would read it as an option)';
  return null;
}

/** Characters git refuses anywhere in a ref name: controls, space, ~ ^ : ? * [ \ */
// eslint-disable-next-line no-control-regex
const GIT_REFUSED = /[\u0000-\u0020\u007f~^:?*[\\]/;

/**
 * Why `ref` is not a ref name git would accept (`git check-ref-format --allow-onelevel`), or
 * null: no `..`, no control character, space, `~ ^ : ? * [ \`, no `@{`, not `@` alone, not
 * starting or ending with `/` nor holding `//`, not ending with `.`, and no `/`-separated part
 * starting with `.` or ending with `.lock`.
 */
export function gitRefProblem(ref: string): string | null {
  const rule = (what: string) => `${what} (git's rules for a ref name)`;
  if (ref === '@') return rule('must not be @ alone');
  const refused = GIT_REFUSED.exec(ref);
  if (refused)
    return rule(
      refused[0] === ' '
        ? 'must not contain a space'
        : `must not contain ${JSON.stringify(refused[0]).slice(1, -1)} (nor any of ~ ^ : ? * [ \\ or a control character)`,
    );
  if (ref.includes('..')) return rule('must not contain ..');
  if (ref.includes('@{')) return rule('must not contain @{');
  if (ref.startsWith('/') || ref.endsWith('/')) return rule('must not start or end with /');
  if (ref.includes('//')) return rule('must not contain //');
  if (ref.endsWith('.')) return rule('must not end with .');
  for (const part of ref.split('/')) {
    if (part.startsWith('.')) return rule(`no part may start with . (${JSON.stringify(part)})`);
    if (part.endsWith('.lock')) return rule(`no part may end with .lock (${JSON.stringify(part)})`);
  }
  return null;
}

/** An environment's rule for refs: its `refPattern` (a regular expression), or git's rules. */
export interface RefRule {
  refPattern?: RegExp | undefined;
}

/** Why `ref` cannot be deployed to an environment with `rule`, or null. */
export function environmentRefProblem(ref: string, rule: RefRule): string | null {
  const base = refProblem(ref);
  if (base) return base;
  if (rule.refPattern === undefined) return gitRefProblem(ref);
  return rule.refPattern.test(ref)
    ? null
    : `must match this environment's refPattern ${String(rule.refPattern)}`;
}
