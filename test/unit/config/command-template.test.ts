import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import {
  checkTemplate,
  displayArgv,
  renderCommand,
  shellQuote,
  templateProblems,
  type CommandTemplate,
} from '../../../src/config/command-template';
import { ErrorCode } from '../../../src/errors';

const argv = (...parts: string[]): CommandTemplate => ({ shell: false, argv: parts });
const shell = (script: string): CommandTemplate => ({ shell: true, script });

const HOSTILE = [
  '; rm -rf /',
  '$(touch /tmp/opsdeck-pwned)',
  '`touch /tmp/opsdeck-pwned`',
  `it's "quoted"`,
  "'; echo x; '",
  'a\nb',
  ' spaced  out ',
  '',
  '\\',
  '*',
  '$HOME',
  '-rf',
  '{ref}',
];

/** Values with any code point but NUL (no argv element can hold one). */
const anyValue = fc.string({ unit: 'binary', maxLength: 40 }).filter((v) => !v.includes('\0'));

describe('argv templates', () => {
  it('put each value literally into its one argv element', () => {
    for (const ref of HOSTILE) {
      const out = renderCommand(argv('/opt/deploy', '--ref={ref}', '{host}', '{app}/{env}'), {
        host: 'web01',
        ref,
        app: 'shop',
        env: 'prod',
      });
      expect(out.argv).toEqual(['/opt/deploy', `--ref=${ref}`, 'web01', 'shop/prod']);
    }
  });

  it('keeps {{ and }} as literal braces and never expands a placeholder inside a value', () => {
    expect(renderCommand(argv('awk', '{{print $1}}', '{ref}'), { ref: '{host}' }).argv).toEqual([
      'awk',
      '{print $1}',
      '{host}',
    ]);
  });

  it('passes any value through as exactly one argument (property)', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (host, ref) => {
        const out = renderCommand(argv('x', '{host}', 'pre{ref}post'), { host, ref });
        expect(out.argv).toEqual(['x', host, `pre${ref}post`]);
      }),
      { numRuns: 500 },
    );
  });

  it('reaches a real program unchanged (spawned without a shell)', () => {
    for (const ref of HOSTILE.filter(Boolean)) {
      const out = renderCommand(argv('printf', '%s', '{ref}'), { ref });
      const [file, ...args] = out.argv;
      expect(execFileSync(file!, args, { encoding: 'utf8' })).toBe(ref);
    }
  });

  it('refuses unknown placeholders and lone braces, naming them', () => {
    expect(templateProblems(argv('x', '{hots}'))).toEqual([
      expect.stringContaining('unknown placeholder {hots}'),
    ]);
    expect(templateProblems(argv('x', '{ref:json}'))).toEqual([
      expect.stringContaining('unknown placeholder {ref:json}'),
    ]);
    expect(templateProblems(argv('awk', '{print $1}'))[0]).toContain('unknown placeholder');
    expect(templateProblems(argv('x', 'a}b'))[0]).toContain('a lone }');
    expect(templateProblems(argv('x', '{'))[0]).toContain('a lone {');
    expect(() => renderCommand(argv('x', '{nope}'), {})).toThrow(
      expect.objectContaining({ code: ErrorCode.DeployTemplateInvalid }),
    );
  });

  it('refuses placeholders outside the allowed set (pre/post have no {host})', () => {
    expect(templateProblems(argv('notify', '{host}'), ['ref', 'app', 'env'])).toEqual([
      expect.stringContaining('{host} has no value here'),
    ]);
  });

  it('refuses a missing value and a NUL byte at render time', () => {
    expect(() => renderCommand(argv('x', '{ref}'), { host: 'h' })).toThrow(/\{ref\} has no value/);
    expect(() => renderCommand(argv('x', '{ref}'), { ref: 'a\0b' })).toThrow(/NUL byte/);
  });

  it('requires :sh after the destination of ssh, whose remote shell parses the command again', () => {
    expect(templateProblems(argv('ssh', '{host}', 'deploy', '{ref}'))[0]).toContain(
      'write {ref:sh}',
    );
    expect(
      templateProblems(argv('/usr/bin/ssh', '-o', 'BatchMode=yes', '{host}', '{ref:sh}')),
    ).toEqual([]);
    // Before the destination (ssh's own options) values are plain arguments.
    expect(templateProblems(argv('ssh', '-l', '{app}', '{host}', 'deploy'))).toEqual([]);
  });

  it('finds every program that hands arguments to a shell, wherever it stands, in pre and post too', () => {
    const needsSh = (...parts: string[]) =>
      expect(templateProblems(argv(...parts), ['ref', 'app', 'env']).join('; ')).toContain(
        'write {ref:sh}',
      );
    // A pre or post command has no {host}: its destination is a plain host name.
    needsSh('ssh', 'deploy-host', 'announce', '{ref}');
    needsSh('ssh', '-p', '2222', '-o', 'BatchMode=yes', 'deploy-host', 'announce', '{ref}');
    needsSh('ssh', '-vp2222', 'deploy-host', 'announce', '{ref}');
    // Behind another program.
    needsSh('sudo', '-u', 'deploy', 'ssh', 'deploy-host', 'announce', '{ref}');
    needsSh('timeout', '60', '/usr/bin/ssh', 'deploy-host', 'announce', '{ref}');
    // Shells that read a script, and eval.
    needsSh('bash', '-lc', 'deploy {ref}');
    needsSh('/bin/sh', '-c', 'deploy "$1"', 'sh', '{ref}');
    needsSh('env', 'X=1', 'eval', 'deploy', '{ref}');
    // Each with :sh is fine; so are plain arguments of programs that parse nothing again.
    for (const parts of [
      ['ssh', 'deploy-host', 'announce', '{ref:sh}'],
      ['sudo', 'ssh', 'deploy-host', 'announce', '{ref:sh}'],
      ['bash', '-lc', 'deploy {ref:sh}'],
      ['/opt/opsdeck/freeze', '{app}', '{env}', '{ref}'],
      ['bash', '/opt/deploy.sh', '{ref}'], // a script file: its arguments are plain
      ['ssh', '-l', '{app}', 'deploy-host', 'true'],
    ])
      expect(templateProblems(argv(...parts), ['ref', 'app', 'env'])).toEqual([]);
  });

  it('with :sh, a hostile ref reaches the program behind `bash -c` as one plain argument', () => {
    for (const ref of HOSTILE) {
      const out = renderCommand(argv('bash', '-c', 'printf %s {ref:sh}'), { ref });
      const printed = execFileSync(out.argv[0]!, out.argv.slice(1), { encoding: 'utf8' });
      expect(printed).toBe(ref);
    }
  });

  it(':sh quotes the value once for the remote shell: ssh-style re-parsing yields the value', () => {
    for (const ref of HOSTILE) {
      const out = renderCommand(argv('ssh', '{host}', 'deploy', '{ref:sh}'), { host: 'h', ref });
      // What ssh does: join the remote command with spaces and hand it to a shell.
      const remote = out.argv.slice(2).join(' ');
      const seen = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${remote}`], {
        encoding: 'utf8',
      });
      expect(seen).toBe(`deploy\0${ref}\0`);
    }
  });

  it('displays the command for --dry-run, quoting what a shell would read differently', () => {
    expect(displayArgv(['ssh', 'web01', 'deploy', '; rm -rf /', "it's"])).toBe(
      `ssh web01 deploy '; rm -rf /' 'it'\\''s'`,
    );
  });
});

describe('shell templates', () => {
  it('single-quote every value', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(
      renderCommand(shell('deploy --ref {ref} {host}'), { ref: '$(x)', host: 'web01' }),
    ).toEqual({
      argv: ['/bin/sh', '-c', `deploy --ref '$(x)' 'web01'`],
      display: `/bin/sh -c 'deploy --ref '\\''$(x)'\\'' '\\''web01'\\'''`,
    });
  });

  it('pass any value through /bin/sh unchanged (property, pure: a POSIX reading of the word)', () => {
    fc.assert(
      fc.property(anyValue, (ref) => {
        const script = renderCommand(shell('{ref}'), { ref }).argv[2]!;
        expect(readQuotedWord(script)).toBe(ref);
      }),
      { numRuns: 2000 },
    );
  });

  it('pass any value through a real /bin/sh unchanged (property, sampled)', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (ref, host) => {
        const [file, ...args] = renderCommand(shell(`printf '%s\\0' {ref} x{host}y`), {
          ref,
          host,
        }).argv;
        expect(execFileSync(file!, args, { encoding: 'utf8' })).toBe(`${ref}\0x${host}y\0`);
      }),
      { numRuns: 60 },
    );
    for (const ref of HOSTILE) {
      const [file, ...args] = renderCommand(shell(`printf '%s' {ref}`), { ref }).argv;
      expect(execFileSync(file!, args, { encoding: 'utf8' })).toBe(ref);
    }
  });

  it('refuse placeholders where their quoting would not hold', () => {
    const problem = (script: string) => templateProblems(shell(script)).join('; ');
    expect(problem(`echo '{ref}'`)).toContain('inside single quotes');
    expect(problem(`echo "{ref}"`)).toContain('inside double quotes');
    expect(problem(`echo "a \\" {ref}"`)).toContain('inside double quotes');
    expect(problem(`echo \\{ref}`)).toContain('follows a backslash');
    expect(problem(`echo x # {ref}`)).toContain('inside a comment');
    expect(problem('echo `x` {ref}')).toContain('after a backquote');
    expect(problem('echo $(date) {ref}')).toContain('after $(');
    expect(problem('diff <(ls) {ref}')).toContain('after <(');
    expect(problem('(( x )) {ref}')).toContain('after ((');
    expect(problem("echo $'x' {ref}")).toContain("after $'...'");
    expect(problem('cat <<EOF\n{ref}\nEOF')).toContain('here-document');
    expect(problem('echo "$(date)" {ref}')).toContain('$( inside double quotes');
    expect(problem('echo "${{x}}" {ref}')).toContain('${ inside double quotes');
  });

  it('accept placeholders in plain positions, also next to text and after quoted strings', () => {
    for (const script of [
      'cd /srv && ./deploy --ref={ref} {host} 2>&1',
      `echo 'it''s' "done" {ref}`,
      'echo a#b {ref} # comment',
      'echo x\n{ref}',
      'echo ${{#x}} ${{x:-y}} {ref}',
      'echo {ref} $(date)',
    ])
      expect([script, templateProblems(shell(script))]).toEqual([script, []]);
  });

  it('double quotes a :sh value: one layer for the local shell, one for the next', () => {
    const out = renderCommand(shell('ssh {host} deploy {ref:sh}'), { host: 'h', ref: '; x' });
    expect(out.argv[2]).toBe(`ssh 'h' deploy ''\\''; x'\\'''`);
  });

  it('checkTemplate throws a coded error listing the problems', () => {
    expect(() => checkTemplate(shell(`echo '{ref}'`))).toThrow(
      expect.objectContaining({ code: ErrorCode.DeployTemplateInvalid }),
    );
    expect(() => checkTemplate(shell('deploy {ref}'))).not.toThrow();
  });
});

/** A POSIX shell's reading of one word made only of quoted strings and backslash escapes. */
function readQuotedWord(word: string): string {
  let out = '';
  let i = 0;
  while (i < word.length) {
    const c = word[i]!;
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${word}`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\') {
      out += word[i + 1];
      i += 2;
    } else throw new Error(`unquoted ${JSON.stringify(c)} in ${JSON.stringify(word)}`);
  }
  return out;
}
