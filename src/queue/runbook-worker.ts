import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { OpsdeckConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import { queueWait } from '../metrics/metrics';
import type { Checkpoint } from '../runbook/checkpoint';
import { runRunbook, type RunbookResult } from '../runbook/run-runbook';
import type { RunbookObserver } from '../runbook/runbook-events';
import type { RunbookRegistry } from '../runbook/runbook-registry';
import type { RunbookServices } from '../runbook/runbook-services';
import type { ApprovalGate } from '../runbook/approval-gate';
import type { CancelRequests } from './cancellation';
import type { JobEnvelope } from '../runbook/job-envelope';
import { QueueName } from './queue-names';

export interface RunbookWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  config: OpsdeckConfig;
  runbooks: RunbookRegistry;
  observers: readonly RunbookObserver[];
  services: RunbookServices;
  approvals?: ApprovalGate;
  isTransient?: (error: unknown) => boolean;
  cancels: CancelRequests;
  logger: Logger;
}

/**
 * The BullMQ worker of the runbook queue. A job that stalls (its worker died) is handed to the
 * next worker by BullMQ, and the engine resumes it from its checkpoint. A job that ends other
 * than succeeded fails without BullMQ retries: the engine already retried what was worth it.
 */
export function createRunbookWorker(
  options: RunbookWorkerOptions,
): Worker<JobEnvelope<unknown, Checkpoint>, RunbookResult> {
  const { config, logger } = options;
  return new Worker<JobEnvelope<unknown, Checkpoint>, RunbookResult>(
    QueueName.Ops,
    async (job, _token, signal) => {
      if (!job.data.checkpoint && job.processedOn) {
        queueWait.observe(
          { queue: QueueName.Ops },
          Math.max(0, job.processedOn - job.timestamp) / 1000,
        );
      }
      const result = await runRunbook({
        definition: options.runbooks.get(job.name),
        envelope: job.data,
        signal: signal ?? new AbortController().signal,
        persist: (checkpoint) => job.updateData({ ...job.data, checkpoint }),
        cancelRequestedBy: () => options.cancels.requestedBy(job.data.meta.jobId),
        reportProgress: (progress) => job.updateProgress(progress),
        observers: options.observers,
        services: options.services,
        ...(options.approvals && { approvals: options.approvals }),
        ...(options.isTransient && { isTransient: options.isTransient }),
        logger,
        settings: config.runbook,
      });
      if (result.outcome !== 'succeeded') {
        throw new UnrecoverableError(`${result.outcome}: ${result.error ?? 'no detail'}`);
      }
      return result;
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: config.queue.concurrency,
      lockDuration: config.queue.lockDurationMs,
      stalledInterval: config.queue.stalledIntervalMs,
      maxStalledCount: config.queue.maxStalledCount,
      autorun: false,
    },
  );
}
