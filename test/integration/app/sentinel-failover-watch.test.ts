import IORedis from 'ioredis';
import { SentinelFailoverWatch } from '../../../src/app/sentinel-failover-watch';
import { REDIS_URL } from '../../helpers/services';
import { waitFor } from '../../helpers/wait-for';

/**
 * The watch against the real local Redis (REDIS_URL) standing for a primary: an announced
 * failover drops a ready connection still on another server, which reconnects by itself; one on
 * the new primary, another master's announcement, and a connection that is not ready are left
 * alone. (The sentinels' side, the announcement itself, is proven with real redis-sentinel
 * processes by test/e2e/redis-failover.test.ts.)
 */
const PRIMARY = { host: '127.0.0.1', port: Number(new URL(REDIS_URL).port) };
let watch: SentinelFailoverWatch;
let connection: IORedis;
let reconnects: number;

beforeEach(async () => {
  // No sentinel listens there: the watch's subscribers retry quietly, the test calls switched().
  watch = new SentinelFailoverWatch([{ host: '127.0.0.1', port: 1 }], 'opsdeck', undefined);
  connection = watch.watch(new IORedis({ ...PRIMARY, maxRetriesPerRequest: null }));
  connection.on('error', () => undefined);
  reconnects = 0;
  connection.on('reconnecting', () => void (reconnects += 1));
  await waitFor(() => connection.status === 'ready', 10_000, 'the connection');
});
afterEach(() => connection.disconnect());

it('drops a ready connection still on the old primary; it reconnects and works', async () => {
  watch.switched(`opsdeck ${PRIMARY.host} ${PRIMARY.port} 127.0.0.1 6399`);
  await waitFor(() => reconnects === 1, 10_000, 'the connection to be dropped');
  expect(await connection.ping()).toBe('PONG');
  expect(connection.status).toBe('ready');
});

it('leaves alone a connection on the new primary, and other masters', async () => {
  watch.switched(`opsdeck 127.0.0.1 6399 ${PRIMARY.host} ${PRIMARY.port}`);
  watch.switched(`other-master ${PRIMARY.host} ${PRIMARY.port} 127.0.0.1 6399`);
  watch.switched('garbled');
  expect(await connection.ping()).toBe('PONG');
  expect(reconnects).toBe(0);
});

it('leaves alone a connection that is not ready (no stream yet, or reconnecting)', () => {
  const idle = watch.watch(new IORedis({ ...PRIMARY, lazyConnect: true }));
  expect(() =>
    watch.switched(`opsdeck ${PRIMARY.host} ${PRIMARY.port} 127.0.0.1 6399`),
  ).not.toThrow();
  expect(idle.status).toBe('wait');
  idle.disconnect();
});

it('stops subscribing once every watched connection has ended', async () => {
  const subscribers = () => (watch as unknown as { subscribers: IORedis[] }).subscribers;
  expect(subscribers()).toHaveLength(1);
  connection.disconnect();
  await waitFor(() => connection.status === 'end', 10_000, 'the end');
  expect(subscribers()).toHaveLength(0);
});
