import IORedis, { Cluster } from 'ioredis';
import { hostAndPort, redisConnector } from '../../../src/app/redis-connection';
import { WatchedSentinelRedis } from '../../../src/app/sentinel-failover-watch';
import { RedisConfig } from '../../../src/config/schema';
import type { RedisClient } from '../../../src/util/redis-client';

const opened: RedisClient[] = [];
afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

function connect(config: unknown, secrets = {}, fast = false): RedisClient {
  const connection = redisConnector(RedisConfig.parse(config), secrets)({ fast });
  connection.on('error', () => undefined);
  opened.push(connection);
  return connection;
}

function open(config: unknown, secrets = {}, fast = false): IORedis {
  const connection = connect(config, secrets, fast);
  if (!(connection instanceof IORedis)) throw new Error('not a single-server connection');
  return connection;
}

describe('redisConnector', () => {
  it('connects through the sentinels to the named primary, following failovers', () => {
    const { options } = open(
      { sentinels: ['10.0.0.1:26379', '[fd00::2]:26380'], masterName: 'opsdeck' },
      { redisPassword: 'data-pw', redisSentinelPassword: 'sentinel-pw' },
    );
    expect(options).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'fd00::2', port: 26380 },
      ],
      name: 'opsdeck',
      role: 'master',
      password: 'data-pw',
      sentinelPassword: 'sentinel-pw',
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
    });
    // Failovers are followed by opsdeck's watch (sentinel-failover-watch.ts), which ends no
    // connection, not by ioredis's detector; duplicates (BullMQ's) are watched too.
    expect(options.failoverDetector).toBeFalsy();
    const connection = open({ sentinels: ['10.0.0.1:26379'], masterName: 'opsdeck' });
    expect(connection).toBeInstanceOf(WatchedSentinelRedis);
    const duplicate = connection.duplicate({ connectionName: 'bull' });
    duplicate.on('error', () => undefined);
    opened.push(duplicate);
    expect(duplicate).toBeInstanceOf(WatchedSentinelRedis);
    expect(duplicate.options).toMatchObject({ name: 'opsdeck', connectionName: 'bull' });
  });

  it('makes fast connections fail a command at once rather than queue it', () => {
    const { options } = open({ sentinels: ['10.0.0.1:26379'], masterName: 'm' }, {}, true);
    expect(options).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
    expect(options.sentinelPassword).toBeUndefined();
  });

  it('connects to a Redis Cluster through the listed nodes, the password on every node', () => {
    const connection = connect(
      { cluster: ['10.0.0.1:6379', '10.0.0.2:6379'], prefix: '{opsdeck}' },
      { redisPassword: 'data-pw' },
    );
    expect(connection).toBeInstanceOf(Cluster);
    expect((connection as Cluster).options).toMatchObject({
      enableOfflineQueue: true,
      redisOptions: { password: 'data-pw', maxRetriesPerRequest: null },
    });
    const fast = connect({ cluster: ['10.0.0.1:6379'], prefix: '{opsdeck}' }, {}, true) as Cluster;
    expect(fast.options).toMatchObject({
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
  });

  it('uses the URL, or the local default, without sentinels', () => {
    expect(open({ url: 'redis://redis.internal:6390' }).options).toMatchObject({
      host: 'redis.internal',
      port: 6390,
    });
    expect(open({}).options).toMatchObject({ host: '127.0.0.1', port: 6380 });
    expect(open({}).options.sentinels).toBeFalsy();
  });
});

describe('hostAndPort', () => {
  it('splits at the last colon and unwraps an IPv6 address', () => {
    expect(hostAndPort('redis-a.internal:26379')).toEqual({
      host: 'redis-a.internal',
      port: 26379,
    });
    expect(hostAndPort('[::1]:1')).toEqual({ host: '::1', port: 1 });
  });
});
