import { UnrecoverableError } from 'bullmq';
import { CancelledError, TransientError, UsageError } from '../../../src/errors';
import { transientBy } from '../../../src/runbook/retry-policy';

describe('transientBy', () => {
  const isTransient = transientBy((error) => (error as Error).message === 'classified');

  it.each([
    [new TransientError('throttled'), true],
    [new Error('classified'), true],
    [new UsageError('bad table', '/x'), false],
    [new CancelledError(), false],
    [Object.assign(new UnrecoverableError('no'), { message: 'classified' }), false],
    [new Error('unknown'), false],
  ])('%p → %p', (error, expected) => {
    expect(isTransient(error)).toBe(expected);
  });

  it('retries no unknown error without a classifier', () => {
    expect(transientBy()(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
    expect(transientBy()(new TransientError('throttled'))).toBe(true);
  });
});
