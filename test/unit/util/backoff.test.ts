import { backoffDelay } from '../../../src/util/backoff';

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 10_000 };

  it('doubles per retry within the upper half of each step', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0)).toBe(400);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
  });

  it('never exceeds the cap, however many retries', () => {
    for (const retry of [10, 100, 10_000]) {
      expect(backoffDelay(retry, { baseDelayMs: 100, maxDelayMs: 5000 }, () => 1)).toBe(5000);
      expect(backoffDelay(retry, { baseDelayMs: 100, maxDelayMs: 5000 }, () => 0)).toBe(2500);
    }
  });

  it('treats a negative retry as the first', () => {
    expect(backoffDelay(-3, policy, () => 1)).toBe(100);
  });

  it('spreads retries out', () => {
    const delays = new Set(
      Array.from({ length: 50 }, () => backoffDelay(5, { baseDelayMs: 100, maxDelayMs: 60_000 })),
    );
    expect(delays.size).toBeGreaterThan(10);
  });
});
