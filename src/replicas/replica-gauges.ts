import { replicaLagSeconds, replicaMarginSeconds, replicaThreadsRunning } from '../metrics/metrics';
import type { ReplicaWatchHealth } from './replica-health';

/** Sets the replica's gauges from a check; a value that is not known is removed, not zeroed. */
export function recordReplicaGauges(health: ReplicaWatchHealth): void {
  const labels = { replica: health.replica };
  const set = (gauge: typeof replicaLagSeconds, value: number | null) => {
    if (value === null) gauge.remove(labels);
    else gauge.set(labels, value);
  };
  set(replicaLagSeconds, health.gauges.lagSeconds);
  set(replicaThreadsRunning, health.gauges.threadsRunning);
  set(replicaMarginSeconds, health.gauges.marginSeconds);
}
