import type IORedis from 'ioredis';
import { DeployLocks, describeLock, holderOf, lockedError } from '../../../src/deploy/deploy-lock';
import { ErrorCode } from '../../../src/errors';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

let redis: IORedis;
let prefix: string;
let locks: DeployLocks;
const T0 = 1_763_740_800_000;
let now = T0;

const alice = { id: 'U0ALICE', name: 'alice' };
const bob = { id: 'U0BOB', name: 'bob' };

beforeAll(() => {
  redis = connectRedis();
});

beforeEach(() => {
  prefix = uniqueName('deploylock');
  now = T0;
  locks = new DeployLocks(redis, prefix, () => now);
});

afterEach(async () => {
  await deleteRedisPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('DeployLocks', () => {
  it('lets one deploy hold app+env; a second is refused with who, since when and why', async () => {
    const first = await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice });
    expect(first).toEqual({
      acquired: true,
      alreadyHeld: false,
      lock: {
        app: 'shop',
        env: 'production',
        kind: 'deploy',
        holder: 'job:j1',
        actor: alice,
        jobId: 'j1',
        reason: 'deploy running',
        since: T0,
      },
    });
    now += 5000;
    const second = await locks.acquireForDeploy('shop', 'production', { jobId: 'j2', actor: bob });
    expect(second).toEqual({ acquired: false, heldBy: first.acquired && first.lock });
    await expect(
      locks.acquireForDeployOrThrow('shop', 'production', { jobId: 'j2', actor: bob }),
    ).rejects.toMatchObject({
      code: ErrorCode.DeployLocked,
      // An error is text: its times in UTC (Slack shows the lock itself with date tokens).
      message: `shop/production is locked by alice since 2025-11-21T16:00:00Z: a deploy (job j1), "deploy running"`,
    });
    // Other app+env pairs are independent.
    expect(
      (await locks.acquireForDeploy('shop', 'staging', { jobId: 'j2', actor: bob })).acquired,
    ).toBe(true);
  });

  it('is atomic: of many simultaneous requests exactly one gets the lock', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        locks.acquireForDeploy('shop', 'production', { jobId: `j${i}`, actor: alice }),
      ),
    );
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const holder = winners[0]!.acquired && winners[0]!.lock.holder;
    for (const r of results) if (!r.acquired) expect(r.heldBy.holder).toBe(holder);
  });

  it('a resumed job taking its own lock again gets it, keeping since', async () => {
    await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice });
    now += 60_000;
    const again = await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice });
    expect(again).toMatchObject({ acquired: true, alreadyHeld: true, lock: { since: T0 } });
  });

  it('releases only for the holder; others learn who holds it', async () => {
    await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice });
    expect(await locks.release('shop', 'production', holderOf({ jobId: 'j2' }))).toMatchObject({
      released: false,
      heldBy: { holder: 'job:j1', actor: alice },
    });
    expect(
      await locks.release('shop', 'production', holderOf({ actorId: alice.id })),
    ).toMatchObject({
      released: false,
    });
    expect(await locks.get('shop', 'production')).not.toBeNull();
    expect(await locks.release('shop', 'production', 'job:j1')).toEqual({ released: true });
    expect(await locks.get('shop', 'production')).toBeNull();
    expect(await locks.release('shop', 'production', 'job:j1')).toEqual({
      released: false,
      heldBy: null,
    });
  });

  it('manual locks carry owner, reason and expiry, refuse deploys, and free themselves', async () => {
    const manual = await locks.lockManually('shop', 'production', {
      actor: bob,
      reason: 'db migration in progress',
      ttlMs: 300,
    });
    expect(manual).toMatchObject({
      acquired: true,
      lock: { kind: 'manual', holder: 'user:U0BOB', expiresAt: T0 + 300 },
    });
    const refused = await locks.acquireForDeploy('shop', 'production', {
      jobId: 'j1',
      actor: alice,
    });
    expect(refused.acquired).toBe(false);
    if (!refused.acquired)
      expect(describeLock(refused.heldBy).text).toBe(
        'shop/production is locked by bob since <!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z>, until <!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z>: a manual lock, "db migration in progress"',
      );
    const ttl = await redis.pttl(`${prefix}:deploy:lock:shop:production`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await locks.get('shop', 'production')).toBeNull();
    expect(
      (await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice })).acquired,
    ).toBe(true);
  });

  it('the owner of a manual lock can extend it; a deploy lock without ttl does not expire', async () => {
    await locks.lockManually('shop', 'production', { actor: bob, reason: 'x', ttlMs: 60_000 });
    now += 1000;
    const extended = await locks.lockManually('shop', 'production', {
      actor: bob,
      reason: 'longer',
      ttlMs: 120_000,
    });
    expect(extended).toMatchObject({
      acquired: true,
      alreadyHeld: true,
      lock: { reason: 'longer', since: T0, expiresAt: T0 + 1000 + 120_000 },
    });
    expect((await locks.get('shop', 'production'))?.reason).toBe('longer');
    await expect(
      locks.lockManually('shop', 'production', { actor: alice, reason: 'mine', ttlMs: 1000 }),
    ).resolves.toMatchObject({ acquired: false, heldBy: { actor: bob } });
    await expect(
      locks.lockManually('shop', 'staging', { actor: alice, reason: 'x', ttlMs: 0 }),
    ).rejects.toThrow('expiry');

    await locks.acquireForDeploy('shop', 'staging', { jobId: 'j9', actor: alice });
    expect(await redis.pttl(`${prefix}:deploy:lock:shop:staging`)).toBe(-1);
  });

  it('renews only for the holder', async () => {
    await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice, ttlMs: 1000 });
    now += 500;
    await locks.renew('shop', 'production', 'job:j1', 60_000);
    expect(await redis.pttl(`${prefix}:deploy:lock:shop:production`)).toBeGreaterThan(1000);
    expect((await locks.get('shop', 'production'))?.expiresAt).toBe(T0 + 500 + 60_000);
    await expect(locks.renew('shop', 'production', 'job:j2', 60_000)).rejects.toMatchObject({
      code: ErrorCode.DeployLockNotHeld,
    });
  });

  it('forceRelease removes any lock and says what it was; list shows every lock', async () => {
    await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice });
    await locks.lockManually('api', 'staging', { actor: bob, reason: 'freeze', ttlMs: 60_000 });
    expect((await locks.list()).map((l) => `${l.app}/${l.env} ${l.holder}`)).toEqual([
      'api/staging user:U0BOB',
      'shop/production job:j1',
    ]);
    expect(await locks.forceRelease('shop', 'production')).toMatchObject({ holder: 'job:j1' });
    expect(await locks.forceRelease('shop', 'production')).toBeNull();
    expect((await locks.list()).map((l) => l.app)).toEqual(['api']);
  });

  it('survives a new client (state lives in Redis), and refuses names that could escape the key', async () => {
    await locks.acquireForDeploy('shop', 'production', { jobId: 'j1', actor: alice });
    const other = new DeployLocks(redis, prefix);
    expect(await other.get('shop', 'production')).toMatchObject({ holder: 'job:j1' });
    await expect(locks.get('shop:x', 'production')).rejects.toMatchObject({
      code: ErrorCode.DeployTargetUnknown,
    });
    expect(lockedError((await other.get('shop', 'production'))!).code).toBe(ErrorCode.DeployLocked);
  });
});
