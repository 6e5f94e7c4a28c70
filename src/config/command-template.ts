import { ErrorCode, OpsdeckError } from '../errors';

/**
 * The command `/deploy` runs per host, as configured: an argv template (an array of strings, run
 * without a shell) or, only when the config says `shell: true`, one string run by `/bin/sh -c`.
 *
 * Placeholders: `{host}`, `{ref}`, `{app}`, `{env}`; `{{` and `}}` are literal braces; anything
 * else in braces is refused when the config is loaded, so a typo (`{hots}`) never reaches a host.
 *
 * - argv mode: a value becomes part of exactly one argv element, byte for byte: `; rm -rf /`,
 *   `$(touch x)` or quotes are plain text to the program, never shell syntax.
 * - shell mode: every value is single-quoted (`'` written as `'\''`), so `/bin/sh` passes it
 *   through unchanged. A placeholder must stand outside quotes (opsdeck quotes it), and is
 *   refused where the quoting of the text around it is beyond this check: inside quotes, a
 *   comment or backquotes, after a backslash, or after `$(`, `<(`, `((`, `` ` ``, `$'` or a
 *   here-document (`<<`) anywhere before it.
 * - `{ref:sh}` (any placeholder with `:sh`) adds one more layer of shell quoting, for a value
 *   that goes through one more shell on its way: `ssh` joins its remote command into a string that
 *   the remote user's shell parses again, so `[ssh, '{host}', deploy, '{ref:sh}']` is how a ref
 *   reaches the remote program as one plain argument. In an argv template (command, pre and
 *   post alike), placeholders that `ssh` (after its destination), a shell's `-c` or `eval` would
 *   hand to a shell must use `:sh` wherever that program stands (`sudo ssh …`), checked at config
 *   load (reparsingProblem). Other programs that evaluate their arguments (`let`, a remote
 *   script's own `eval`) need the same care; no check can know them all.
 */

export const PLACEHOLDERS = ['host', 'ref', 'app', 'env'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string>>;

export type CommandTemplate =
  { shell: false; argv: readonly string[] } | { shell: true; script: string };

/** A rendered command: `argv[0]` is the program, run without a shell. */
export interface RenderedCommand {
  argv: string[];
  /** The command as one line a human can read (and paste into a shell): for `--dry-run`. */
  display: string;
}

export const SHELL = '/bin/sh';

type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'placeholder'; name: Placeholder; extraQuoting: boolean; source: string };

const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;
const KNOWN = `${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;

/** Splits one template string into text and placeholders; throws with the first problem. */
function parse(text: string): Segment[] {
  const segments: Segment[] = [];
  let literal = '';
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    literal += text.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === '{{') literal += '{';
    else if (match[0] === '}}') literal += '}';
    else if (match[0] === '{' || match[0] === '}')
      throw templateError(
        `a lone ${match[0]} in ${JSON.stringify(text)} (write ${match[0]}${match[0]} for a literal brace)`,
      );
    else {
      const inner = match[1]!;
      const [name, modifier, ...rest] = inner.split(':');
      if (
        !(PLACEHOLDERS as readonly string[]).includes(name!) ||
        rest.length > 0 ||
        (modifier !== undefined && modifier !== 'sh')
      )
        throw templateError(
          `unknown placeholder {${inner}} in ${JSON.stringify(text)}: known are ${KNOWN} (with :sh for one more layer of shell quoting); write {{ and }} for literal braces`,
        );
      if (literal) segments.push({ kind: 'text', text: literal });
      literal = '';
      segments.push({
        kind: 'placeholder',
        name: name as Placeholder,
        extraQuoting: modifier === 'sh',
        source: match[0],
      });
    }
  }
  literal += text.slice(last);
  if (literal) segments.push({ kind: 'text', text: literal });
  return segments;
}

function templateError(message: string): OpsdeckError {
  return new OpsdeckError(ErrorCode.DeployTemplateInvalid, message);
}

/**
 * Every problem of a template, as sentences for a config error (empty when it is fine).
 * `allowed` limits the placeholders (pre and post commands run once: they have no `{host}`).
 */
export function templateProblems(
  template: CommandTemplate,
  allowed: readonly Placeholder[] = PLACEHOLDERS,
): string[] {
  const problems: string[] = [];
  const parts = template.shell ? [template.script] : template.argv;
  const parsed: Segment[][] = [];
  for (const part of parts) {
    try {
      parsed.push(parse(part));
    } catch (error) {
      problems.push((error as Error).message);
      parsed.push([]);
    }
  }
  for (const segments of parsed)
    for (const s of segments)
      if (s.kind === 'placeholder' && !allowed.includes(s.name))
        problems.push(
          `${s.source} has no value here (this command may use ${allowed.map((p) => `{${p}}`).join(', ')})`,
        );
  if (template.shell) {
    const problem = shellContextProblem(parsed[0] ?? []);
    if (problem) problems.push(problem);
  } else {
    const problem = reparsingProblem(template.argv, parsed);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Throws (DeployTemplateInvalid) unless the template is fine. */
export function checkTemplate(
  template: CommandTemplate,
  allowed: readonly Placeholder[] = PLACEHOLDERS,
): void {
  const problems = templateProblems(template, allowed);
  if (problems.length > 0) throw templateError(problems.join('; '));
}

/**
 * Programs that hand some of their arguments to a shell that parses them again, wherever they
 * stand in the argv (`ssh`, or `sudo ssh`, `timeout 60 ssh`, `env X=1 ssh`): a placeholder in
 * those arguments must use `:sh`. `ssh` joins everything after its destination into one string
 * for the remote user's shell (its own options and the destination, `-l {app}`, are plain
 * arguments); `sh -c`/`bash -c` (any shell, any flag group with `c`) parse their script and what
 * follows; `eval` parses all its arguments. A destination written as a host name (a pre or post
 * command's `ssh deploy-host …`) counts as well as `{host}`.
 */
function reparsingProblem(argv: readonly string[], parsed: Segment[][]): string | undefined {
  const from = reparsedFrom(argv, parsed);
  if (!from) return undefined;
  for (const segments of parsed.slice(from.index))
    for (const s of segments)
      if (s.kind === 'placeholder' && !s.extraQuoting)
        return `${from.why}, which would parse ${s.source}: write {${s.name}:sh} so the value arrives as one plain argument`;
  return undefined;
}

/** ssh's options that take a value (`-p 22`, `-o BatchMode=yes`), from ssh(1). */
const SSH_OPTIONS_WITH_VALUE = new Set('BbcDEeFIiJLlmOoPpQRSWw');
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh']);

/** Where the arguments a shell parses again begin, and why; undefined when none do. */
function reparsedFrom(
  argv: readonly string[],
  parsed: Segment[][],
): { index: number; why: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    // A program's name is plain text; an element with a placeholder is a value, not a program.
    if (parsed[i]!.some((s) => s.kind === 'placeholder')) continue;
    const program = argv[i]!.split('/').pop();
    if (program === 'ssh') {
      let j = i + 1;
      while (j < argv.length && argv[j]!.startsWith('-') && argv[j] !== '-') {
        if (argv[j] === '--') {
          j += 1;
          break;
        }
        const letters = argv[j]!.slice(1);
        const valueAt = [...letters].findIndex((l) => SSH_OPTIONS_WITH_VALUE.has(l));
        j += valueAt === letters.length - 1 ? 2 : 1; // `-p 22`; `-p22` and `-tt` are one element
      }
      return { index: j + 1, why: 'ssh passes its remote command to the remote shell' };
    }
    if (program !== undefined && SHELLS.has(program)) {
      for (let j = i + 1; j < argv.length && /^-[a-zA-Z]+$/.test(argv[j]!); j++)
        if (argv[j]!.includes('c'))
          return { index: j + 1, why: `${program} ${argv[j]} parses its script as shell code` };
    }
    if (program === 'eval') return { index: i + 1, why: 'eval parses its arguments as shell code' };
  }
  return undefined;
}

/**
 * Follows the quoting of a shell template far enough to know that each placeholder stands
 * outside quotes, comments and escapes; refuses what it cannot follow (see the module comment).
 */
function shellContextProblem(segments: Segment[]): string | undefined {
  let state: 'plain' | 'single' | 'double' | 'comment' = 'plain';
  let escaped = false;
  let prev = '';
  let beyond: string | undefined;
  for (const segment of segments) {
    if (segment.kind === 'placeholder') {
      const p = segment.source;
      if (state === 'single' || state === 'double')
        return `${p} is inside ${state} quotes in the shell command: write it unquoted, opsdeck quotes its value`;
      if (state === 'comment') return `${p} is inside a comment in the shell command`;
      if (escaped) return `${p} follows a backslash in the shell command`;
      if (beyond)
        return `${p} comes after ${beyond} in the shell command, whose quoting opsdeck cannot follow: use an argv template, or move the placeholder before it`;
      prev = 'x';
      continue;
    }
    for (const c of segment.text) {
      if (escaped) {
        escaped = false;
        prev = 'x';
        continue;
      }
      switch (state) {
        case 'plain':
          if (c === '\\') escaped = true;
          else if (c === "'") {
            if (prev === '$') beyond ??= "$'...'";
            state = 'single';
          } else if (c === '"') state = 'double';
          else if (c === '`') beyond ??= 'a backquote';
          else if (c === '(' && (prev === '$' || prev === '<' || prev === '>' || prev === '('))
            beyond ??= `${prev}(`;
          else if (c === '<' && prev === '<') beyond ??= 'a here-document (<<)';
          else if (c === '#' && (prev === '' || /[\s;&|()<>]/.test(prev))) state = 'comment';
          break;
        case 'single':
          if (c === "'") state = 'plain';
          break;
        case 'double':
          if (c === '\\') escaped = true;
          else if (c === '"') state = 'plain';
          else if (c === '`') beyond ??= 'a backquote';
          else if ((c === '(' || c === '{') && prev === '$')
            beyond ??= `$${c} inside double quotes`;
          break;
        case 'comment':
          if (c === '\n') state = 'plain';
          break;
      }
      prev = c;
    }
  }
  return undefined;
}

/** `'it'\''s'`: one shell word that `/bin/sh` reads back as exactly `value`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Renders one host's command; throws (DeployTemplateInvalid) on a bad template or value. */
export function renderCommand(
  template: CommandTemplate,
  values: PlaceholderValues,
): RenderedCommand {
  checkTemplate(template, PLACEHOLDERS);
  const value = (s: Extract<Segment, { kind: 'placeholder' }>, quoteOnce: boolean): string => {
    const v = values[s.name];
    if (v === undefined) throw templateError(`${s.source} has no value here`);
    if (v.includes('\0'))
      throw templateError(
        `the value of ${s.source} contains a NUL byte, which no argument can hold`,
      );
    let out = s.extraQuoting ? shellQuote(v) : v;
    if (quoteOnce) out = shellQuote(out);
    return out;
  };
  const render = (text: string, quote: boolean): string =>
    parse(text)
      .map((s) => (s.kind === 'text' ? s.text : value(s, quote)))
      .join('');
  if (template.shell) {
    const script = render(template.script, true);
    return { argv: [SHELL, '-c', script], display: `${SHELL} -c ${shellQuote(script)}` };
  }
  const argv = template.argv.map((part) => render(part, false));
  return { argv, display: displayArgv(argv) };
}

/** An argv as one line: elements that a shell would read differently are single-quoted. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' ');
}
