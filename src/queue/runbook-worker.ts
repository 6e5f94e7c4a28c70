import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { OpsdeckConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import { queueWait } from '../metrics/metrics';
import { runRunbook, type RunbookResult } from '../runbook/run-runbook';
import type { RunbookObserver } from '../runbook/runbook-events';
import type { RunbookRegistry } from '../runbook/runbook-registry';
import type { RunbookServices } from '../runbook/runbook-services';
import type { ApprovalGate } from '../runbook/approval-gate';
import type { CancelRequests } from './cancellation';
import { ErrorCode } from '../errors';
import type { WorkSigner } from '../util/work-signature';
import { QueueName } from './queue-names';
import { checkJob, signCheckpoint, type SignedJobData } from './signed-job';
import type { WorkRefusals } from './work-refusals';

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
  /** Checks each job's MAC (and its checkpoint's) before it runs, and signs every checkpoint. */
  signer: WorkSigner;
  /** Where refused jobs are reported (audit trail, alert channel). */
  refusals: Pick<WorkRefusals, 'reportJob'>;
  logger: Logger;
}

/**
 * The BullMQ worker of the runbook queue. A job that stalls (its worker died) is handed to the
 * next worker by BullMQ, and the engine resumes it from its checkpoint. A job that ends other
 * than succeeded fails without BullMQ retries: the engine already retried what was worth it.
 *
 * Before anything of a job runs, its MAC is checked (signed-job.ts), and its checkpoint's when it
 * has one: a job added to Redis by anyone but opsdeck, edited there, or resumed from a checkpoint
 * the engine did not save fails at once, reported as refused; no step and no cleanup runs.
 */
export function createRunbookWorker(
  options: RunbookWorkerOptions,
): Worker<SignedJobData<unknown>, RunbookResult> {
  const { config, logger, signer } = options;
  const maxAgeMs = config.queue.signedJobMaxAgeHours * 3600_000;
  return new Worker<SignedJobData<unknown>, RunbookResult>(
    QueueName.Ops,
    async (job, _token, signal) => {
      const refusal = checkJob(signer, job, maxAgeMs);
      if (refusal) {
        const data = job.data as Partial<SignedJobData> | null;
        await options.refusals.reportJob({
          jobId: job.id ?? '(no id)',
          refusal,
          ...(refusal.kind === 'job'
            ? {
                claimed: {
                  runbook: job.name,
                  command: data?.meta?.command,
                  actor: data?.meta?.actor,
                },
              }
            : { meta: job.data.meta }),
        });
        throw new UnrecoverableError(
          `refused: ${refusal.reason} (${ErrorCode.WorkUnauthenticated})`,
        );
      }
      const jobMac = job.data.mac;
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
        persist: (checkpoint) =>
          job.updateData({
            ...job.data,
            checkpoint,
            checkpointMac: signCheckpoint(signer, job.data.meta.jobId, jobMac, checkpoint),
          }),
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
