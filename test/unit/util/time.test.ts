import { isoSeconds, toMs } from '../../../src/util/time';

describe('isoSeconds', () => {
  it('is ISO-8601 in UTC to the second, from a Date or milliseconds', () => {
    expect(isoSeconds(new Date('2025-11-21T16:00:00.999Z'))).toBe('2025-11-21T16:00:00Z');
    expect(isoSeconds(Date.UTC(2025, 10, 21, 16, 0, 1, 5))).toBe('2025-11-21T16:00:01Z');
  });

  it('refuses an invalid time', () => {
    expect(() => isoSeconds(new Date('nope'))).toThrow(RangeError);
    expect(() => toMs(Number.NaN)).toThrow('not a valid time');
  });
});
