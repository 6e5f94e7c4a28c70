import { REDACTED, redactValue } from '../../../src/log/redact';

describe('redactValue', () => {
  it('keeps a key named __proto__ as data (and redacts inside it) instead of setting the prototype', () => {
    const input = JSON.parse('{"__proto__": {"password": "pw", "x": 1}}') as object;
    const out = redactValue(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"password":"${REDACTED}","x":1}}`);
  });
});
