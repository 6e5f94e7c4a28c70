import { REDACTED, redactText, redactValue } from '../../../src/log/redact';

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

describe('redactText', () => {
  it('masks the secret shapes it knows and keeps the text around them', () => {
    const cases: [string, string][] = [
      ['token xoxb-1234567890-abcdefghij sent', 'token [REDACTED] sent'],
      ['app xapp-1-A1-99-abcdefghij', 'app [REDACTED]'],
      ['key AKIAABCDEFGHIJKLMNOP used', 'key [REDACTED] used'],
      ['password = "hunter2", next', 'password = [REDACTED], next'],
      ["x password:'abc' y", 'x password:[REDACTED] y'],
      ['secret_access_key=abc;def', 'secret_access_key=[REDACTED];def'],
      ['mysql://opsdeck:s3cr3t@db:3306/x', 'mysql://opsdeck:[REDACTED]@db:3306/x'],
      ['see 1http://u:pw@host', 'see 1http://u:[REDACTED]@host'],
      ['http://u@host has none', 'http://u@host has none'],
      [
        "MASTER_PASSWORD = 'a\\'b', MASTER_PORT=3306",
        'MASTER_PASSWORD = [REDACTED], MASTER_PORT=3306',
      ],
      ["SOURCE_PASSWORD='a\\'b'", 'SOURCE_PASSWORD=[REDACTED]'],
      // SQL's own escape of a quote is a doubled quote: nothing of the password may show.
      ["MASTER_PASSWORD='it''s', MASTER_PORT=3306", 'MASTER_PASSWORD=[REDACTED], MASTER_PORT=3306'],
      ["source_password = '''x'''", 'source_password = [REDACTED]'],
    ];
    for (const [input, output] of cases) expect(redactText(input)).toBe(output);
  });
});
