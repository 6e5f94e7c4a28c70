import { UnrecoverableError } from 'bullmq';
import { CancelledError, TransientError, UsageError } from '../../../src/errors';
import { backoffDelay, isTransient, sleep } from '../../../src/runbook/retry-policy';

describe('isTransient', () => {
  it.each([
    [new TransientError('throttled'), true],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('slow down'), { name: 'ThrottlingException' }), true],
    [Object.assign(new Error('aws says retry'), { $retryable: {} }), true],
    [new UsageError('bad table', '/x'), false],
    [new CancelledError(), false],
    [new UnrecoverableError('no'), false],
    [new Error('unknown'), false],
    ['a string', false],
    [Object.assign(new Error('not found'), { name: 'DBInstanceNotFoundFault' }), false],
  ])('%p → %p', (error, expected) => {
    expect(isTransient(error)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles per attempt with jitter in [d/2, d], capped', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(10, policy, () => 0)).toBe(500);
  });
});

describe('sleep', () => {
  it('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new CancelledError('stop')), 20);
    await expect(sleep(5000, controller.signal)).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
