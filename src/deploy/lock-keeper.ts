import { ErrorCode, OpsdeckError, isOpsdeckError } from '../errors';
import type { DeployLocks } from './deploy-lock';

export interface HeldLock {
  app: string;
  env: string;
  /** holderOf({ jobId }). */
  holder: string;
  ttlMs: number;
}

/**
 * Runs `work` while keeping `lock`: renewed every third of its TTL, so a deploy of any length
 * keeps it while one of a dead worker loses it within the TTL. If the lock turns out to be gone
 * (someone forced it, or renewals failed until it expired), `work`'s signal aborts with
 * OPSDECK_DEPLOY_LOCK_NOT_HELD: another deploy may be starting, so this one must not go on.
 * A renewal that fails otherwise (Redis unreachable) is tried again at the next tick.
 */
export async function whileLockHeld<T>(
  locks: DeployLocks,
  lock: HeldLock,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  now: () => number = Date.now,
): Promise<T> {
  const lost = new AbortController();
  let renewedAt = now();
  let renewing = false;
  const tick = async () => {
    if (renewing || lost.signal.aborted) return;
    renewing = true;
    try {
      await locks.renew(lock.app, lock.env, lock.holder, lock.ttlMs);
      renewedAt = now();
    } catch (error) {
      if (
        (isOpsdeckError(error) && error.code === ErrorCode.DeployLockNotHeld) ||
        now() - renewedAt >= lock.ttlMs
      )
        lost.abort(
          new OpsdeckError(
            ErrorCode.DeployLockNotHeld,
            `lost the deploy lock of ${lock.app}/${lock.env} (${error instanceof Error ? error.message : String(error)}): stopped, since another deploy may start`,
            { cause: error },
          ),
        );
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(100, Math.floor(lock.ttlMs / 3)));
  try {
    return await work(AbortSignal.any([signal, lost.signal]));
  } catch (error) {
    throw lost.signal.aborted ? (lost.signal.reason as Error) : error;
  } finally {
    clearInterval(timer);
  }
}
