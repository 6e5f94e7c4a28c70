import type IORedis from 'ioredis';
import { DeployLocks, holderOf } from '../../../src/deploy/deploy-lock';
import { whileLockHeld } from '../../../src/deploy/lock-keeper';
import { ErrorCode } from '../../../src/errors';
import { sleep } from '../../../src/util/sleep';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

/** A deploy's lock against the real Redis, with a TTL far shorter than the work it covers. */
let redis: IORedis;
let prefix: string;
let locks: DeployLocks;
const TTL_MS = 600;
const alice = { id: 'U0ALICE', name: 'alice' };
const lock = { app: 'shop', env: 'production', holder: holderOf({ jobId: 'j1' }), ttlMs: TTL_MS };

beforeAll(() => {
  redis = connectRedis();
});

beforeEach(async () => {
  prefix = uniqueName('lockkeeper');
  locks = new DeployLocks(redis, prefix);
  await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice, ttlMs: TTL_MS });
});

afterEach(async () => {
  await deleteRedisPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('whileLockHeld', () => {
  it('keeps the lock through work five times longer than its TTL; a second deploy is refused throughout', async () => {
    const never = new AbortController().signal;
    const seen: (string | null)[] = [];
    await whileLockHeld(locks, lock, never, async (signal) => {
      for (let i = 0; i < 10; i++) {
        await sleep(TTL_MS / 2, signal);
        const second = await locks.acquireForDeploy('shop', 'production', {
          jobId: 'j2',
          actor: alice,
          ttlMs: TTL_MS,
        });
        seen.push(second.acquired ? 'taken by j2' : second.heldBy.holder);
      }
    });
    expect(seen).toEqual(Array(10).fill('job:j1'));
    // Once the work is over nobody renews it: it expires by itself (the job's cleanup releases it).
    await sleep(TTL_MS + 200);
    expect(await locks.get('shop', 'production')).toBeNull();
  }, 20_000);

  it('a lock lost meanwhile (forced away) stops the work with OPSDECK_DEPLOY_LOCK_NOT_HELD', async () => {
    const never = new AbortController().signal;
    const work = whileLockHeld(locks, lock, never, async (signal) => {
      await sleep(10_000, signal);
    });
    await sleep(100);
    await locks.forceRelease('shop', 'production');
    await expect(work).rejects.toMatchObject({
      code: ErrorCode.DeployLockNotHeld,
      message: expect.stringContaining('lost the deploy lock of shop/production'),
    });
  }, 20_000);
});
