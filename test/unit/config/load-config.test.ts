import { parseConfig } from '../../../src/config/load-config';
import { ConfigError } from '../../../src/errors';

describe('parseConfig', () => {
  it('gives a complete working config from an empty file', () => {
    const config = parseConfig('');
    expect(config.slack.mode).toBe('http');
    expect(config.queue.retention.completedCount).toBe(1000);
    expect(config.redis.url).toBe('redis://127.0.0.1:6380');
  });

  it('names the exact path and the reason of a wrong type', () => {
    expect(() => parseConfig('http:\n  port: x\n', 'opsdeck.yaml')).toThrow(
      'opsdeck.yaml: invalid configuration\n  http.port: expected number, got "x"',
    );
  });

  it('rejects unknown settings by name, so typos do not pass silently', () => {
    expect(() => parseConfig('slack:\n  alertChanel: "#x"\n')).toThrow(
      'slack.alertChanel: unknown setting',
    );
  });

  it('refuses a secret value where an env var name belongs', () => {
    expect(() => parseConfig('slack:\n  signingSecretEnv: "8f14e45fceea167a"\n')).toThrow(
      /slack\.signingSecretEnv: must be the NAME of an environment variable/,
    );
  });

  it('lists enum choices', () => {
    expect(() => parseConfig('slack:\n  mode: websocket\n')).toThrow(
      'slack.mode: expected one of "http", "socket", got "websocket"',
    );
  });

  it("refuses console mode's own sections by name: production config has no sandbox", () => {
    expect(() => parseConfig('sandbox:\n  port: 4566\nconsole: {}\n', 'opsdeck.yaml')).toThrow(
      [
        'opsdeck.yaml: invalid configuration',
        '  sandbox: only console mode (npm run dev) reads this section; production config does not take it',
        '  console: only console mode (npm run dev) reads this section; production config does not take it',
      ].join('\n'),
    );
  });

  it('takes Socket Mode reconnect waits, the longest no shorter than the first', () => {
    expect(parseConfig('').slack.socket).toEqual({ reconnectBaseMs: 1000, reconnectMaxMs: 30_000 });
    expect(() =>
      parseConfig('slack:\n  socket: { reconnectBaseMs: 5000, reconnectMaxMs: 1000 }\n'),
    ).toThrow('slack.socket.reconnectMaxMs: must be at least reconnectBaseMs');
  });

  it('reports invalid YAML as a ConfigError', () => {
    expect(() => parseConfig('slack: [unclosed')).toThrow(ConfigError);
  });

  it('rejects duplicate keys', () => {
    expect(() => parseConfig('http:\n  port: 1\n  port: 2\n')).toThrow(ConfigError);
  });
});
