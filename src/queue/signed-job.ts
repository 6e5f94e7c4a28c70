import type { Checkpoint } from '../runbook/checkpoint';
import type { JobEnvelope } from '../runbook/job-envelope';
import { describeMacFailure, type WorkSigner } from '../util/work-signature';
import { formatDuration } from '../util/duration';
import { QueueName } from './queue-names';

/**
 * A runbook job as it is stored in Redis: the envelope, when it was signed and its MAC, and once
 * the engine has started it, its checkpoint with a MAC of its own.
 *
 * The job's MAC covers the queue, the job's id and name (its runbook), the envelope's meta and
 * input, and the signing time: a job copied under another id, an input edited after approval or
 * a job added straight to Redis does not check. The checkpoint's MAC covers the job id, the job's
 * MAC and the checkpoint, so one job's checkpoint does not check in another job.
 */
export interface SignedJobData<I = Record<string, unknown>> extends JobEnvelope<I, Checkpoint> {
  /** When the front door signed the job (epoch ms). */
  signedAt: number;
  mac: string;
  checkpointMac?: string;
}

export function signJob<I>(
  signer: WorkSigner,
  envelope: JobEnvelope<I>,
  now = Date.now(),
): SignedJobData<I> {
  const { meta, input } = envelope;
  const record = jobRecord(meta.jobId, meta.runbook, { meta, input, signedAt: now });
  return { meta, input, signedAt: now, mac: signer.sign('job', record) };
}

export function signCheckpoint(
  signer: WorkSigner,
  jobId: string,
  jobMac: string,
  checkpoint: Checkpoint,
): string {
  return signer.sign('checkpoint', { jobId, jobMac, checkpoint });
}

/** Why a job is refused, or null when it may run. */
export interface WorkRefusal {
  /** What did not check: the job, its checkpoint, or its age at its first start. */
  kind: 'job' | 'checkpoint' | 'job-age';
  reason: string;
}

/**
 * Checks a job read from the queue before anything of it runs: its MAC, its checkpoint's MAC
 * (once it has one) and, at its first start, that it was signed at most `maxAgeMs` ago.
 * `data` is whatever Redis held: nothing of it is trusted until it checks.
 */
export function checkJob(
  signer: WorkSigner,
  job: { id?: string | undefined; name: string; data: unknown },
  maxAgeMs: number,
  now = Date.now(),
): WorkRefusal | null {
  const data = job.data as Partial<SignedJobData> | null;
  if (data === null || typeof data !== 'object') {
    return { kind: 'job', reason: 'the job carries no envelope' };
  }
  const record = jobRecord(job.id, job.name, {
    meta: data.meta,
    input: data.input,
    signedAt: data.signedAt,
  });
  const jobCheck = signer.check('job', record, data.mac);
  if (!jobCheck.ok) {
    return {
      kind: 'job',
      reason: `the job is not as opsdeck queued it: ${describeMacFailure(jobCheck.reason)}`,
    };
  }
  if (data.meta?.jobId !== job.id || data.meta?.runbook !== job.name) {
    return { kind: 'job', reason: 'the job id or name differs from its envelope' };
  }
  if (data.checkpoint !== undefined) {
    const check = signer.check(
      'checkpoint',
      { jobId: job.id, jobMac: data.mac, checkpoint: data.checkpoint },
      data.checkpointMac,
    );
    if (!check.ok) {
      return {
        kind: 'checkpoint',
        reason: `its checkpoint is not as the engine saved it: ${describeMacFailure(check.reason)}`,
      };
    }
    return null;
  }
  const age = now - Number(data.signedAt);
  if (age > maxAgeMs) {
    return {
      kind: 'job-age',
      reason: `it was signed ${formatDuration(age)} ago and never started; a job is refused at its first start after ${formatDuration(maxAgeMs)} (queue.signedJobMaxAgeHours): run the command again`,
    };
  }
  return null;
}

function jobRecord(
  jobId: string | undefined,
  name: string,
  signed: { meta: unknown; input: unknown; signedAt: unknown },
): unknown {
  return { queue: QueueName.Ops, jobId: jobId ?? null, name, ...signed };
}
