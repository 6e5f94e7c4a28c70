import fc from 'fast-check';
import { parseCommand } from '../../../src/command/parse-command';
import { UsageError } from '../../../src/errors';
import { loadCommands } from '../../../src/app/load-modules';
import type { SubcommandSpec } from '../../../src/command/define-command';

const ops = loadCommands().find('ops')!;

describe('parseCommand (/ops)', () => {
  it('parses options into the validated input, with defaults', () => {
    expect(parseCommand(ops, 'ping').input).toEqual({
      ticks: 3,
      'tick-seconds': 1,
      'approve-midway': false,
    });
    expect(parseCommand(ops, 'ping --ticks 5 --tick-seconds=0.5 --approve-midway').input).toEqual({
      ticks: 5,
      'tick-seconds': 0.5,
      'approve-midway': true,
    });
  });

  it('maps positionals by name', () => {
    const parsed = parseCommand(ops, 'cancel ping-0123456789');
    expect(parsed.subcommand.name).toBe('cancel');
    expect(parsed.input).toEqual({ job: 'ping-0123456789' });
  });

  it('takes a negative value after an option as the value, and range-checks it', () => {
    expect(() => parseCommand(ops, 'ping --tick-seconds -1')).toThrow(
      '--tick-seconds: must be a number of seconds from 0 to 60',
    );
  });

  it('shows the subcommand usage on its errors', () => {
    try {
      parseCommand(ops, 'ping --ticks');
      throw new Error('expected a UsageError');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toBe('--ticks needs a value');
      expect((error as UsageError).usage).toBe(
        '/ops ping [--ticks <1-60>] [--tick-seconds <0-60>] [--approve-midway]',
      );
    }
  });

  it('fails only with a UsageError, for any text (fuzzed)', () => {
    const pieces = fc.constantFrom(
      'ping',
      'jobs',
      'cancel',
      'help',
      '--ticks',
      '--tick-seconds',
      '-1',
      '3',
      '"',
      "'",
      '--',
      '=',
      'ping-0123456789',
      '--x',
      '💥',
      '\\',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(pieces, { maxLength: 8 }).map((p) => p.join(' ')),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          const { subcommand, input } = parseCommand(ops, t);
          if (subcommand.name === 'ping') {
            const { ticks, 'tick-seconds': seconds } = input as {
              ticks: number;
              'tick-seconds': number;
            };
            expect(Number.isInteger(ticks) && ticks >= 1 && ticks <= 60).toBe(true);
            expect(seconds >= 0 && seconds <= 60).toBe(true);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as UsageError).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('invisible and bidirectional control characters, in every argument of every command', () => {
  const commands = loadCommands();
  const HIDDEN = ['\u202e', '\u2066', '\u200b', '\u0007', '\ufeff', '\u00ad'];

  /** Every argument a user can type: [command, subcommand, text, the argument's label]. */
  const cases = commands.all.flatMap((module) =>
    module.subcommands.flatMap((sub) => {
      const prefix = sub.name === module.name ? '' : `${sub.name} `;
      const names = (sub.positionals ?? []).map((name) => name.replace(/\.\.\.$/, ''));
      const positional = names.map((name, i) => {
        const words = names.map((_, j) => (j === i ? `"a${HIDDEN[i % HIDDEN.length]}b"` : 'x'));
        return [module.name, sub, `${prefix}${words.slice(0, i + 1).join(' ')}`, `<${name}>`, name];
      });
      const options = Object.entries(sub.options ?? {})
        .filter(([, spec]) => spec.type === 'string')
        .map(([name], i) => [
          module.name,
          sub,
          `${prefix}${names.map(() => 'x').join(' ')} --${name} "1${HIDDEN[i % HIDDEN.length]}"`,
          `--${name}`,
          name,
        ]);
      return [...positional, ...options] as [string, SubcommandSpec, string, string, string][];
    }),
  );

  it('covers every command', () => {
    expect(new Set(cases.map(([command]) => command))).toEqual(
      new Set(commands.all.map((module) => module.name)),
    );
  });

  it.each(cases.map(([command, sub, text, label, name]) => [command, text, label, sub, name]))(
    '/%s %j: refused naming %s (unless free text, shown escaped)',
    (command, text, label, sub, name) => {
      const module = commands.find(command)!;
      if ((sub as SubcommandSpec).freeText?.includes(name as string)) {
        // Free text keeps them; the rendering layer shows them as ⟨U+…⟩.
        let message = '';
        try {
          parseCommand(module, text as string);
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).not.toContain('invisible or bidirectional control character');
        return;
      }
      expect(() => parseCommand(module, text as string)).toThrow(
        new RegExp(
          `^${escapeRegExp(label as string)}: contains U\\+[0-9A-F]{4}.* at character \\d+, an invisible or bidirectional control character`,
        ),
      );
    },
  );

  it('free text (a lock reason) keeps them', () => {
    const deploy = commands.find('deploy')!;
    const { input } = parseCommand(deploy, 'lock billing prod "db \u202emigration"');
    expect(input).toMatchObject({ reason: 'db \u202emigration' });
  });

  it('a deploy ref with a right-to-left override is refused, naming the character', () => {
    expect(() => parseCommand(commands.find('deploy')!, 'billing prod "v1.2.3\u202e4pm"')).toThrow(
      '<ref>: contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 7',
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
