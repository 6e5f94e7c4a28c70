import { isTransientError } from '../../../src/app/runbook-services';

describe("the adapters' transient errors, composed", () => {
  it.each([
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('lost'), { code: 'PROTOCOL_CONNECTION_LOST' }), true],
    [Object.assign(new Error('deadlock'), { code: 'ER_LOCK_DEADLOCK' }), true],
    [Object.assign(new Error('slow down'), { name: 'ThrottlingException' }), true],
    [Object.assign(new Error('aws says retry'), { $retryable: {} }), true],
    [Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY' }), false],
    [new Error('unknown'), false],
    ['a string', false],
    [null, false],
    [Object.assign(new Error('not found'), { name: 'DBInstanceNotFoundFault' }), false],
  ])('%p → %p', (error, expected) => {
    expect(isTransientError(error)).toBe(expected);
  });
});
