import { parseConfig } from '../../../src/config/load-config';
import { ConfigError } from '../../../src/errors';

describe('parseConfig', () => {
  it('gives a complete working config from an empty file', () => {
    const config = parseConfig('');
    expect(config.slack.mode).toBe('http');
    expect(config.queue.retention.completedCount).toBe(1000);
    expect(config.redis).toEqual({ prefix: 'opsdeck' });
  });

  it('takes Redis Sentinel: the sentinels, the master name and the sentinel password env', () => {
    const config = parseConfig(
      'redis:\n  sentinels: [10.0.0.1:26379, "[fd00::2]:26379"]\n  masterName: opsdeck\n  sentinelPasswordEnv: SENTINEL_PW\n',
    );
    expect(config.redis).toMatchObject({
      sentinels: ['10.0.0.1:26379', '[fd00::2]:26379'],
      masterName: 'opsdeck',
      sentinelPasswordEnv: 'SENTINEL_PW',
    });
  });

  it('refuses a half or contradictory Redis Sentinel setup, naming the setting', () => {
    expect(() => parseConfig('redis:\n  sentinels: [10.0.0.1:26379]\n')).toThrow(
      'redis.masterName: sentinels and masterName go together',
    );
    expect(() =>
      parseConfig(
        'redis:\n  url: redis://r:6379\n  sentinels: [10.0.0.1:26379]\n  masterName: m\n',
      ),
    ).toThrow('redis.url: give one of url, sentinels or cluster');
    expect(() => parseConfig('redis:\n  sentinels: [10.0.0.1]\n  masterName: m\n')).toThrow(
      'redis.sentinels.0: must be host:port (e.g. 10.0.0.1:26379), got "10.0.0.1"',
    );
    expect(() => parseConfig('redis:\n  sentinels: [a:70000]\n  masterName: m\n')).toThrow(
      'redis.sentinels.0: port above 65535',
    );
    expect(() => parseConfig('redis:\n  sentinelPasswordEnv: X\n')).toThrow(
      'redis.sentinelPasswordEnv: only with sentinels',
    );
  });

  it('takes Redis Cluster nodes, with a hash-tag prefix only', () => {
    expect(
      parseConfig('redis:\n  cluster: [10.0.0.1:6379, 10.0.0.2:6379]\n  prefix: "{opsdeck}"\n')
        .redis,
    ).toMatchObject({ cluster: ['10.0.0.1:6379', '10.0.0.2:6379'], prefix: '{opsdeck}' });
    expect(() => parseConfig('redis:\n  cluster: [10.0.0.1:6379]\n')).toThrow(
      "redis.prefix: with cluster, must be a hash tag such as '{opsdeck}': BullMQ needs each queue's keys in one slot",
    );
    expect(() =>
      parseConfig('redis:\n  url: redis://r:6379\n  cluster: [r:6379]\n  prefix: "{o}"\n'),
    ).toThrow('redis.url: give one of url, sentinels or cluster');
  });

  it('takes a hash-tag prefix for Redis Cluster, and nothing else with braces', () => {
    expect(parseConfig('redis:\n  prefix: "{opsdeck}"\n').redis.prefix).toBe('{opsdeck}');
    expect(() => parseConfig('redis:\n  prefix: "{ops}deck"\n')).toThrow(
      'redis.prefix: letters, digits, _ and -, or a hash tag such as {opsdeck}',
    );
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
