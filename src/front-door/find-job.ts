import type { JobIdentity } from '../approvals/access-policy';
import { describeError } from '../errors';
import type { FrontDoorDeps } from './front-door-deps';

/**
 * The command and target a job was requested with: from the queue while it is there, else from
 * the audit trail (its `requested` event), which keeps every job. Undefined for a job neither
 * knows; throws when the queue does not have it and the trail cannot be read (fail closed: a
 * command on a job whose target is unknown is not authorized).
 */
export async function findJob(
  deps: Pick<FrontDoorDeps, 'jobs' | 'auditStore'>,
  jobId: string,
): Promise<JobIdentity | undefined> {
  const job = await deps.jobs.get(jobId);
  if (job) {
    const { meta } = job.data;
    return {
      jobId,
      command: meta.commandName ?? meta.runbook,
      ...(meta.target !== undefined && { target: meta.target }),
    };
  }
  let rows;
  try {
    rows = await deps.auditStore.jobEvents(jobId);
  } catch (error) {
    throw new Error(
      `cannot tell what job ${jobId} acts on: it is not in the queue and the audit trail cannot be read (${describeError(error)})`,
      { cause: error },
    );
  }
  const row = rows.find((r) => r.type === 'requested' && r.command !== null) ?? rows[0];
  if (!row?.command) return undefined;
  return { jobId, command: row.command, ...(row.target !== null && { target: row.target }) };
}
