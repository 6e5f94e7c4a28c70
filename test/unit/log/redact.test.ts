import { REDACTED, redactValue } from '../../../src/log/redact';

describe('redactValue', () => {
  it('keeps a key named __proto__ as data (and redacts inside it) instead of setting the prototype', () => {
    const input = JSON.parse('{"__proto__": {"password": "pw", "x": 1}}') as object;
    const out = redactValue(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"password":"${REDACTED}","x":1}}`);
  });
});

describe('redactValue with errors', () => {
  it('keeps the message, stack, own fields and cause of an Error, redacted', () => {
    const cause = new Error('inner xoxb-1234567890-abcdefghij');
    const error = Object.assign(new Error('outer AKIAABCDEFGHIJKLMNOP', { cause }), {
      code: 'E_X',
    });
    const out = redactValue({ err: error }) as unknown as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({ type: 'Error', message: 'outer [REDACTED]', code: 'E_X' });
    expect(String(out.err.stack)).toContain('outer [REDACTED]');
    expect((out.err.cause as Record<string, unknown>).message).toBe('inner [REDACTED]');
  });
});
