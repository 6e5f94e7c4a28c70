import type { Pool } from 'mysql2/promise';

/**
 * Runs `fn` with `pool` and ends the pool afterwards, however `fn` ends. A failure to end it is
 * not the caller's concern: the pool is done with either way.
 */
export async function withPool<T>(pool: Pool, fn: (pool: Pool) => Promise<T>): Promise<T> {
  try {
    return await fn(pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
