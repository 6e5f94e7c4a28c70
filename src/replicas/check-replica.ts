import type { ReplicaWatchConfig } from '../config/replica-watch';
import { evaluateReplicaHealth, type ReplicaWatchHealth } from './replica-health';
import { probeReplica, type ProbeDeps } from './replica-probe';

/**
 * One check of a replica as every view sees it: the watch's alerts and gauges, `/seed-slave
 * status` and `/ops replicas` all read the health through here, with the watch's thresholds.
 */
export async function checkReplica(
  name: string,
  deps: ProbeDeps,
  config: Pick<ReplicaWatchConfig, 'lagSeconds' | 'marginHours'>,
): Promise<ReplicaWatchHealth> {
  return evaluateReplicaHealth(await probeReplica(name, deps), {
    lagSeconds: config.lagSeconds,
    marginHours: config.marginHours,
  });
}
