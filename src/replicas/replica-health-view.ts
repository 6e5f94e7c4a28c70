import type { Mute } from './incident-store';
import type { ReplicaWatchHealth } from './replica-health';

/** What the commands read of the replicas' health (`/seed-slave status`, `/ops replicas`). */
export interface ReplicaHealthView {
  /** Checks the replica now, as the watch does (same probe, same thresholds). */
  check(replica: string): Promise<ReplicaWatchHealth>;
  /** The watch's last check; null before the first. */
  last(replica: string): Promise<ReplicaWatchHealth | null>;
  /** Mutes the replica's new alerts until `mute.until` (`/seed-slave mute`). */
  mute(replica: string, mute: Mute): Promise<void>;
}
