import type { RedisClient } from '../util/redis-client';
import { ErrorCode, OpsdeckError } from '../errors';
import { date, md, type Mrkdwn } from '../slack/mrkdwn';
import { isoSeconds } from '../util/time';

/**
 * One lock per app+environment in Redis (so it survives restarts of the bot and the workers):
 *
 *   <prefix>:deploy:lock:<app>:<env>   hash: kind, holder, actorId, actorName, jobId, reason,
 *                                            since, expiresAt; with a Redis expiry when it has one
 *
 * - A deploy lock is held by a job (`holder` = `job:<jobId>`); a manual lock by a person
 *   (`user:<slack id>`), with a reason and an expiry. Redis deletes an expired lock by itself.
 * - Acquiring is one Lua script: free → taken; held by the same holder → still theirs (a resumed
 *   job taking its lock again, a person extending their lock: reason and expiry are updated,
 *   `since` is kept); held by another → refused with who holds it, since when and why.
 * - Only the holder releases (or renews); `forceRelease` is the operators' way out of a lock
 *   whose job is gone, for the command layer to allow to whom it decides.
 */

export interface LockActor {
  id: string;
  name: string;
}

export interface DeployLock {
  app: string;
  env: string;
  kind: 'deploy' | 'manual';
  /** `job:<jobId>` or `user:<actor id>`: what release and renew compare. */
  holder: string;
  actor: LockActor;
  jobId?: string;
  reason: string;
  /** Epoch ms. */
  since: number;
  /** Epoch ms; none for a deploy lock taken without a time limit. */
  expiresAt?: number;
}

export type AcquireResult =
  | { acquired: true; lock: DeployLock; alreadyHeld: boolean }
  | { acquired: false; heldBy: DeployLock };

export type ReleaseResult = { released: true } | { released: false; heldBy: DeployLock | null };

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** KEYS[1] lock; ARGV: holder, ttlMs ('' for none), then field/value pairs. Returns the held lock or nil. */
const ACQUIRE = `
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder and holder ~= ARGV[1] then
  return redis.call('HGETALL', KEYS[1])
end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
if holder then
  -- The same holder again: keep since.
  for i = 1, #fields, 2 do
    if fields[i] == 'since' then fields[i + 1] = redis.call('HGET', KEYS[1], 'since') end
  end
  redis.call('HDEL', KEYS[1], 'expiresAt')
end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[2] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
  redis.call('PERSIST', KEYS[1])
end
return { 'ok', holder and '1' or '0', redis.call('HGET', KEYS[1], 'since') }
`;

const RELEASE = `
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return { 'ok' }
end
if not holder then return { 'none' } end
return redis.call('HGETALL', KEYS[1])
`;

const RENEW = `
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

export class DeployLocks {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lock of a deploy job; `ttlMs` bounds how long a job that died can block (renew it). */
  async acquireForDeploy(
    app: string,
    env: string,
    options: { jobId: string; actor: LockActor; reason?: string; ttlMs?: number },
  ): Promise<AcquireResult> {
    return this.acquire(app, env, {
      kind: 'deploy',
      holder: holderOf({ jobId: options.jobId }),
      actor: options.actor,
      jobId: options.jobId,
      reason: options.reason ?? 'deploy running',
      ttlMs: options.ttlMs,
    });
  }

  /** A person's lock (`/deploy lock`): no deploy runs until it is released or expires. */
  async lockManually(
    app: string,
    env: string,
    options: { actor: LockActor; reason: string; ttlMs: number },
  ): Promise<AcquireResult> {
    if (!(options.ttlMs > 0)) throw new Error('a manual lock needs an expiry');
    return this.acquire(app, env, {
      kind: 'manual',
      holder: holderOf({ actorId: options.actor.id }),
      actor: options.actor,
      reason: options.reason,
      ttlMs: options.ttlMs,
    });
  }

  /** Like acquireForDeploy, but a refusal throws OPSDECK_DEPLOY_LOCKED saying who holds it. */
  async acquireForDeployOrThrow(
    app: string,
    env: string,
    options: { jobId: string; actor: LockActor; reason?: string; ttlMs?: number },
  ): Promise<DeployLock> {
    const result = await this.acquireForDeploy(app, env, options);
    if (!result.acquired) throw lockedError(result.heldBy);
    return result.lock;
  }

  /** Releases the lock if `holder` (`job:<id>` / `user:<id>`, see holderOf) holds it. */
  async release(app: string, env: string, holder: string): Promise<ReleaseResult> {
    const reply = (await this.redis.eval(RELEASE, 1, this.key(app, env), holder)) as string[];
    if (reply[0] === 'ok') return { released: true };
    if (reply[0] === 'none') return { released: false, heldBy: null };
    return { released: false, heldBy: decode(app, env, reply) };
  }

  /** Removes the lock whoever holds it; returns what it was. */
  async forceRelease(app: string, env: string): Promise<DeployLock | null> {
    const key = this.key(app, env);
    const [[, raw], [, deleted]] = (await this.redis.multi().hgetall(key).del(key).exec()) as [
      [null, Record<string, string>],
      [null, number],
    ];
    return deleted > 0 ? decode(app, env, raw) : null;
  }

  /** Extends the holder's lock to `ttlMs` from now; throws OPSDECK_DEPLOY_LOCK_NOT_HELD otherwise. */
  async renew(app: string, env: string, holder: string, ttlMs: number): Promise<void> {
    const renewed = await this.redis.eval(
      RENEW,
      1,
      this.key(app, env),
      holder,
      ttlMs,
      this.now() + ttlMs,
    );
    if (renewed !== 1)
      throw new OpsdeckError(
        ErrorCode.DeployLockNotHeld,
        `${app}/${env} is not locked by ${holder} (any more)`,
      );
  }

  async get(app: string, env: string): Promise<DeployLock | null> {
    const raw = await this.redis.hgetall(this.key(app, env));
    return raw.holder ? decode(app, env, raw) : null;
  }

  /** Every lock held now (for `/deploy status`), by app and env. */
  async list(): Promise<DeployLock[]> {
    const locks: DeployLock[] = [];
    const base = `${this.prefix}:deploy:lock:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        const [app, env] = key.slice(base.length).split(':');
        if (!app || !env) continue;
        const lock = await this.get(app, env);
        if (lock) locks.push(lock);
      }
    } while (cursor !== '0');
    return locks.sort((a, b) => `${a.app}:${a.env}`.localeCompare(`${b.app}:${b.env}`));
  }

  private async acquire(
    app: string,
    env: string,
    lock: {
      kind: DeployLock['kind'];
      holder: string;
      actor: LockActor;
      jobId?: string;
      reason: string;
      ttlMs: number | undefined;
    },
  ): Promise<AcquireResult> {
    const since = this.now();
    const fields: Record<string, string> = {
      kind: lock.kind,
      holder: lock.holder,
      actorId: lock.actor.id,
      actorName: lock.actor.name,
      reason: lock.reason,
      since: String(since),
      ...(lock.jobId !== undefined && { jobId: lock.jobId }),
      ...(lock.ttlMs !== undefined && { expiresAt: String(since + lock.ttlMs) }),
    };
    if (lock.ttlMs !== undefined && !(Number.isInteger(lock.ttlMs) && lock.ttlMs > 0))
      throw new Error(`a lock's ttlMs must be a positive integer, got ${lock.ttlMs}`);
    const reply = (await this.redis.eval(
      ACQUIRE,
      1,
      this.key(app, env),
      lock.holder,
      lock.ttlMs === undefined ? '' : String(lock.ttlMs),
      ...Object.entries(fields).flat(),
    )) as string[];
    if (reply[0] !== 'ok') return { acquired: false, heldBy: decode(app, env, reply) };
    const held: DeployLock = {
      app,
      env,
      kind: lock.kind,
      holder: lock.holder,
      actor: lock.actor,
      ...(lock.jobId !== undefined && { jobId: lock.jobId }),
      reason: lock.reason,
      since: Number(reply[2]),
      ...(fields.expiresAt !== undefined && { expiresAt: Number(fields.expiresAt) }),
    };
    return { acquired: true, lock: held, alreadyHeld: reply[1] === '1' };
  }

  private key(app: string, env: string): string {
    for (const name of [app, env])
      if (!NAME.test(name))
        throw new OpsdeckError(
          ErrorCode.DeployTargetUnknown,
          `not an app or environment name: ${JSON.stringify(name)}`,
        );
    return `${this.prefix}:deploy:lock:${app}:${env}`;
  }
}

/** The holder string of a job's or a person's lock, for release and renew. */
export function holderOf(who: { jobId: string } | { actorId: string }): string {
  return 'jobId' in who ? `job:${who.jobId}` : `user:${who.actorId}`;
}

/**
 * `shop/production is locked by alice since <date> (deploy of job x): reason`, the times as Slack
 * date tokens (each reader's own time zone; UTC where tokens are not rendered).
 */
export function describeLock(lock: DeployLock): Mrkdwn {
  const what = lock.kind === 'deploy' ? `a deploy (job ${lock.jobId})` : 'a manual lock';
  const until = lock.expiresAt === undefined ? md`` : md`, until ${date(lock.expiresAt)}`;
  return md`${lock.app}/${lock.env} is locked by ${lock.actor.name} since ${date(lock.since)}${until}: ${what}, ${JSON.stringify(lock.reason)}`;
}

/** The lock as plain text (UTC times), for errors. */
export function lockText(lock: DeployLock): string {
  const what = lock.kind === 'deploy' ? `a deploy (job ${lock.jobId})` : 'a manual lock';
  const until = lock.expiresAt === undefined ? '' : `, until ${isoSeconds(lock.expiresAt)}`;
  return `${lock.app}/${lock.env} is locked by ${lock.actor.name} since ${isoSeconds(lock.since)}${until}: ${what}, ${JSON.stringify(lock.reason)}`;
}

/** The refusal a second deploy gets. */
export function lockedError(lock: DeployLock): OpsdeckError {
  return new OpsdeckError(ErrorCode.DeployLocked, lockText(lock));
}

function decode(app: string, env: string, flat: string[] | Record<string, string>): DeployLock {
  const raw: Record<string, string> = {};
  if (Array.isArray(flat))
    for (let i = 0; i + 1 < flat.length; i += 2) raw[flat[i]!] = flat[i + 1]!;
  else Object.assign(raw, flat);
  return {
    app,
    env,
    kind: raw.kind === 'manual' ? 'manual' : 'deploy',
    holder: raw.holder ?? '',
    actor: { id: raw.actorId ?? '', name: raw.actorName ?? '' },
    ...(raw.jobId !== undefined && { jobId: raw.jobId }),
    reason: raw.reason ?? '',
    since: Number(raw.since),
    ...(raw.expiresAt !== undefined && { expiresAt: Number(raw.expiresAt) }),
  };
}
