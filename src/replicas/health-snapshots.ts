import type { RedisClient } from '../util/redis-client';
import type { ReplicaWatchHealth } from './replica-health';

const TTL_SECONDS = 7 * 24 * 3600;

/**
 * Each replica's health as the watch last saw it, in Redis: what `/ops replicas` lists without
 * connecting to anything, and when the last check ran. Key: <prefix>:replicas:<replica>:last
 */
export class HealthSnapshots {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async save(health: ReplicaWatchHealth): Promise<void> {
    await this.redis.set(this.key(health.replica), JSON.stringify(health), 'EX', TTL_SECONDS);
  }

  /** Null when the watch has not checked the replica yet (or not for a week). */
  async read(replica: string): Promise<ReplicaWatchHealth | null> {
    const stored = await this.redis.get(this.key(replica));
    return stored === null ? null : (JSON.parse(stored) as ReplicaWatchHealth);
  }

  private key(replica: string): string {
    return `${this.prefix}:replicas:${replica}:last`;
  }
}
