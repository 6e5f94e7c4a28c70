import { retryDelay } from '../../../src/notify/retry-delay';

describe('retryDelay', () => {
  it('doubles per attempt within the upper half of each step', () => {
    expect(retryDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(retryDelay(3, 100, 10_000, () => 0)).toBe(400);
    expect(retryDelay(3, 100, 10_000, () => 1)).toBe(800);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [10, 100, 10_000]) {
      expect(retryDelay(attempt, 100, 5000, () => 1)).toBe(5000);
      expect(retryDelay(attempt, 100, 5000, () => 0)).toBe(2500);
    }
  });

  it('spreads retries out', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelay(5, 100, 60_000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
