import type IORedis from 'ioredis';
import { DeployWaitingLine } from '../../../src/deploy/deploy-waiting-line';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

let redis: IORedis;
let prefix: string;
let line: DeployWaitingLine;
let now = 1_763_740_800_000;

beforeAll(() => {
  redis = connectRedis();
});

beforeEach(() => {
  prefix = uniqueName('deploywait');
  line = new DeployWaitingLine(redis, prefix, () => now++);
});

afterEach(async () => {
  await deleteRedisPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

const ids = (waiters: { jobId: string }[]) => waiters.map((w) => w.jobId);

describe('DeployWaitingLine', () => {
  it('keeps waiters in the order they came, each at its place when it waits again', async () => {
    expect(await line.wait('shop', 'prod', 'job-a', 60_000)).toEqual([]);
    expect(ids(await line.wait('shop', 'prod', 'job-b', 60_000))).toEqual(['job-a']);
    expect(ids(await line.wait('shop', 'prod', 'job-c', 60_000))).toEqual(['job-a', 'job-b']);
    // Waiting again (a heartbeat, a resumed job) keeps the place.
    expect(ids(await line.wait('shop', 'prod', 'job-b', 60_000))).toEqual(['job-a']);
    // Another app+env has its own line.
    expect(await line.wait('shop', 'staging', 'job-d', 60_000)).toEqual([]);
    await line.leave('shop', 'prod', 'job-a');
    expect(ids(await line.line('shop', 'prod'))).toEqual(['job-b', 'job-c']);
  });

  it('drops a waiter whose heartbeat expired, so it blocks no one behind it', async () => {
    await line.wait('shop', 'prod', 'job-dead', 60_000);
    expect(ids(await line.wait('shop', 'prod', 'job-alive', 60_000))).toEqual(['job-dead']);
    expect(await redis.pttl(`${prefix}:deploy:waiter:job-dead`)).toBeGreaterThan(0);
    // Its worker died: the heartbeat expires.
    await redis.del(`${prefix}:deploy:waiter:job-dead`);
    expect(await line.wait('shop', 'prod', 'job-alive', 60_000)).toEqual([]);
    expect(ids(await line.line('shop', 'prod'))).toEqual(['job-alive']);
  });
});
