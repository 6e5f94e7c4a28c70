import fc from 'fast-check';
import { formatSlackDate } from '../../../src/slack/slack-date';
import { isoSeconds } from '../../../src/util/time';

describe('formatSlackDate', () => {
  it('gives the token with the UTC ISO fallback', () => {
    expect(formatSlackDate(new Date('2025-11-21T16:00:00Z'))).toBe(
      '<!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z>',
    );
  });

  it('takes epoch milliseconds and a custom format, dropping sub-second parts', () => {
    expect(formatSlackDate(1763740800999, '{time_secs}')).toBe(
      '<!date^1763740800^{time_secs}|2025-11-21T16:00:00Z>',
    );
  });

  it('refuses an invalid date instead of printing NaN', () => {
    expect(() => formatSlackDate(new Date('nope'))).toThrow(RangeError);
  });

  it('always agrees between token seconds and fallback text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800000 }), (ms) => {
        const match = /^<!date\^(\d+)\^[^|]+\|([^>]+)>$/.exec(formatSlackDate(ms));
        expect(match).not.toBeNull();
        expect(Number(match![1]) * 1000).toBe(Date.parse(match![2]!));
        expect(match![2]).toBe(isoSeconds(ms));
      }),
    );
  });
});
