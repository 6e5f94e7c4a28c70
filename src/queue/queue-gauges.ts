import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { registry } from '../metrics/metrics';

const STATES = [
  'waiting',
  'active',
  'delayed',
  'completed',
  'failed',
  'paused',
  'prioritized',
] as const;

/**
 * `opsdeck_jobs{queue,state}`: job counts read from Redis at scrape time, so every process
 * that serves /metrics reports the same cluster-wide numbers.
 */
export function registerQueueGauges(queues: readonly Queue[]): void {
  registry.removeSingleMetric('opsdeck_jobs');
  new Gauge({
    name: 'opsdeck_jobs',
    help: 'Jobs by queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
}
