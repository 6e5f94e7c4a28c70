import { formatDuration } from '../../../src/util/duration';

describe('formatDuration', () => {
  it('formats durations', () => {
    expect(formatDuration(400)).toBe('0s');
    expect(formatDuration(61_000)).toBe('1m 1s');
    expect(formatDuration(3_720_000)).toBe('1h 2m');
  });
});
