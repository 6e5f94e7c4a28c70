import type { ReplicaWatchHealth } from './replica-health';

/** What the commands read of the replicas' health (`/seed-slave status`, `/ops replicas`). */
export interface ReplicaHealthView {
  /** Checks the replica now, as the watch does (same probe, same thresholds). */
  check(replica: string): Promise<ReplicaWatchHealth>;
  /** The watch's last check; null before the first. */
  last(replica: string): Promise<ReplicaWatchHealth | null>;
}
