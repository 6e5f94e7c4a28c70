import { ProgressMeter, formatProgress } from '../../../src/runbook/progress-meter';

describe('ProgressMeter', () => {
  it('emits at most one line per interval, with a rate-based ETA, and always the last', () => {
    const meter = new ProgressMeter(0, 1000);
    expect(meter.report(10, 100, 'rows', 1000)).toEqual({
      done: 10,
      total: 100,
      percent: 10,
      etaMs: 9000,
      unit: 'rows',
    });
    expect(meter.report(20, 100, 'rows', 1500)).toBeNull();
    expect(meter.report(50, 100, 'rows', 2500)).toMatchObject({ percent: 50, etaMs: 2500 });
    expect(meter.report(100, 100, 'rows', 2600)).toMatchObject({ percent: 100, etaMs: 0 });
  });

  it('never repeats a line with the same counts, the finished one included', () => {
    const meter = new ProgressMeter(0, 0);
    expect(meter.report(5, 10, 'rows', 1)).toMatchObject({ percent: 50 });
    expect(meter.report(5, 10, 'rows', 2)).toBeNull();
    expect(meter.report(5, 12, 'rows', 3)).toMatchObject({ percent: 41 });
    expect(meter.report(12, 12, 'rows', 4)).toMatchObject({ percent: 100 });
    // An engine that reports 100 % again in a later phase: posted once.
    expect(meter.report(12, 12, 'rows', 5)).toBeNull();
  });

  it('has no ETA before anything is done', () => {
    expect(new ProgressMeter(0, 0).report(0, 10, '', 5)).toMatchObject({ percent: 0, etaMs: null });
  });
});

describe('formatting', () => {
  it('formats a progress line', () => {
    expect(
      formatProgress({ done: 4500, total: 10000, percent: 45, etaMs: 80_000, unit: 'rows' }),
    ).toBe('45% (4,500/10,000 rows, ETA 1m 20s)');
    expect(formatProgress({ done: 3, total: 3, percent: 100, etaMs: 0, unit: '' })).toBe(
      '100% (3/3)',
    );
  });
});
