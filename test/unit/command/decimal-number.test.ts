import fc from 'fast-check';
import { loadCommands } from '../../../src/app/load-modules';
import { parseDecimal } from '../../../src/command/decimal-number';
import { parseCommand } from '../../../src/command/parse-command';
import { UsageError } from '../../../src/errors';

const whole = { min: 0, max: 1000 };
const seconds = { min: 0, max: 60, fractionDigits: 3 };

describe('parseDecimal', () => {
  it('reads plain decimal digits', () => {
    expect(parseDecimal('60', whole)).toBe(60);
    expect(parseDecimal('007', whole)).toBe(7);
    expect(parseDecimal('0', whole)).toBe(0);
    expect(parseDecimal('0.5', seconds)).toBe(0.5);
    expect(parseDecimal('12.125', seconds)).toBe(12.125);
    expect(parseDecimal('60', seconds)).toBe(60);
  });

  it.each([
    '0x3c',
    '0X3C',
    '1e1',
    '1E1',
    '0b1',
    '0o7',
    ' 5',
    '5 ',
    '+5',
    '-0',
    '-5',
    '5.',
    '.5',
    '1_000',
    '1,000',
    'Infinity',
    'NaN',
    '',
    '٣', // ARABIC-INDIC DIGIT THREE
    '５', // FULLWIDTH DIGIT FIVE
    '5\u200b',
    '\u202e5',
  ])('refuses %j', (text) => {
    expect(parseDecimal(text, whole)).toBeNull();
    expect(parseDecimal(text, seconds)).toBeNull();
  });

  it('refuses fractions where only whole numbers are taken, and too many fraction digits', () => {
    expect(parseDecimal('2.5', whole)).toBeNull();
    expect(parseDecimal('2.0', whole)).toBeNull();
    expect(parseDecimal('0.1234', seconds)).toBeNull();
  });

  it('refuses values out of range', () => {
    expect(parseDecimal('1001', whole)).toBeNull();
    expect(parseDecimal('60.001', seconds)).toBeNull();
    expect(parseDecimal('0', { min: 1, max: 5 })).toBeNull();
    expect(parseDecimal('9999999999', { min: 0, max: Number.MAX_SAFE_INTEGER })).toBeNull();
  });

  it('reads back every whole number in range as itself (fuzzed)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (n) => parseDecimal(String(n), whole) === n),
    );
  });

  it('takes only plain decimal text, whatever it is given (fuzzed)', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789.xXeEbBoO+- _\u202e٣５') }),
      fc.string({ unit: 'grapheme' }),
      fc.string(),
    );
    fc.assert(
      fc.property(text, (s) => {
        const value = parseDecimal(s, seconds);
        if (value === null) return true;
        // Accepted: plain digits, at most one point with 1-3 digits after it, the value they say.
        return /^\d{1,9}(\.\d{1,3})?$/.test(s) && value === Number(s) && value <= 60;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('every numeric argument of every command', () => {
  const commands = loadCommands();
  const usageError = (command: string, text: string): UsageError => {
    try {
      parseCommand(commands.find(command)!, text);
    } catch (error) {
      if (error instanceof UsageError) return error;
      throw error;
    }
    throw new Error(`/${command} ${text} was accepted`);
  };

  it('/ops ping --ticks 0x3c --tick-seconds 1e1 is a usage error naming both arguments', () => {
    const error = usageError('ops', 'ping --ticks 0x3c --tick-seconds 1e1');
    expect(error.message).toContain('--ticks: must be a whole number from 1 to 60');
    expect(error.message).toContain('--tick-seconds: must be a number of seconds from 0 to 60');
  });

  it.each([
    ['ops', 'ping --ticks 1e1'],
    ['ops', 'ping --ticks=0x3c'],
    ['ops', 'ping --tick-seconds 0x1'],
    ['ops', 'ping --tick-seconds Infinity'],
    ['ops', 'ping --ticks " 5"'],
    ['phz', 'add x 10.0.0.1 --ttl 0x3c'],
    ['phz', 'add x 10.0.0.1 --ttl 6e1'],
    ['seed-slave', 'billing onprem --retention-hours 1e2'],
    ['seed-slave', 'billing onprem --retention-hours 0x10'],
    ['deploy', 'lock billing prod migration --hours 0x10'],
    ['deploy', 'lock billing prod migration --hours 1e1'],
  ])('/%s %s names the argument', (command, text) => {
    const option = text.slice(text.lastIndexOf('--')).split(/[ =]/)[0]!;
    expect(usageError(command, text).message.startsWith(`${option}: must be`)).toBe(true);
  });

  it('takes the plain forms', () => {
    const parse = (command: string, text: string) =>
      parseCommand(commands.find(command)!, text).input as Record<string, unknown>;
    expect(parse('ops', 'ping --ticks 60 --tick-seconds 0.25')).toMatchObject({
      ticks: 60,
      'tick-seconds': 0.25,
    });
    expect(parse('phz', 'add x 10.0.0.1 --ttl 300')).toMatchObject({ ttl: 300 });
    expect(parse('seed-slave', 'billing onprem --retention-hours 168')).toMatchObject({
      'retention-hours': 168,
    });
    expect(parse('deploy', 'lock billing prod why --hours 2')).toMatchObject({ hours: 2 });
  });
});
