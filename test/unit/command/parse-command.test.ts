import fc from 'fast-check';
import { parseCommand } from '../../../src/command/parse-command';
import { UsageError } from '../../../src/errors';
import { loadCommands } from '../../../src/app/load-modules';

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
