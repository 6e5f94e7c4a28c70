import fc from 'fast-check';
import { parseTimeArg } from '../../../src/audit/time-arg';

const NOW = Date.parse('2025-11-21T16:00:00Z');

describe('parseTimeArg', () => {
  it.each([
    ['now', NOW],
    ['90m', NOW - 90 * 60_000],
    ['24h', NOW - 86_400_000],
    ['7d', NOW - 7 * 86_400_000],
    ['2w', NOW - 14 * 86_400_000],
    ['2025-11-01', Date.parse('2025-11-01T00:00:00Z')],
    ['2025-11-21T15:00:00Z', Date.parse('2025-11-21T15:00:00Z')],
    ['2025-11-21T15:00', Date.parse('2025-11-21T15:00:00Z')],
    ['2025-11-21 17:30:05.250+02:00', Date.parse('2025-11-21T15:30:05.250Z')],
  ])('reads %s', (text, expected) => {
    expect(parseTimeArg(text, NOW)).toBe(expected);
  });

  it.each(['', 'yesterday', '2025-02-30', '2025-13-01', '7 d', '-5m', '2025-11-21T25:00Z', '1e3h'])(
    'refuses %j',
    (text) => {
      expect(parseTimeArg(text, NOW)).toBeNull();
    },
  );

  it('never throws and returns a finite number or null (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const ms = parseTimeArg(text, NOW);
        expect(ms === null || Number.isFinite(ms)).toBe(true);
      }),
    );
  });

  it('reads back any ISO time it printed (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (d) => {
          expect(parseTimeArg(d.toISOString(), NOW)).toBe(d.getTime());
        },
      ),
    );
  });
});
