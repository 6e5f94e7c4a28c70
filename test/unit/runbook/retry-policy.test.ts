import { UnrecoverableError } from 'bullmq';
import { CancelledError, TransientError, UsageError } from '../../../src/errors';
import { isTransient } from '../../../src/runbook/retry-policy';

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
