import type { ReplicaStatus } from '../mysql/replica-status';
import type { ServerFlavor } from '../mysql/server-flavor';
import type { SourceBinlogs } from './replica-margin';

/**
 * What one check of a replica read, from the replica and from its source (read-only SQL on both):
 * the input of the health evaluation (replica-health.ts), whatever could not be read saying why.
 */
export interface ReplicaObservation {
  replica: string;
  /** The configured database it replicates from. */
  source: string;
  at: number;
  server: ReplicaServerFacts | { error: string };
  binlogs: (SourceBinlogs & { instance: string }) | { error: string };
}

export interface ReplicaServerFacts {
  flavor: ServerFlavor;
  status: ReplicaStatus | null;
  readOnly: boolean;
  /** Null where the server has no such variable (MariaDB). */
  superReadOnly: boolean | null;
}

export function isReadable<T extends object>(value: T | { error: string }): value is T {
  return !('error' in value);
}
