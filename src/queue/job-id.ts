import { createHash } from 'node:crypto';

/**
 * A job id derived from the Slack request, so a redelivered or double-submitted request maps to
 * the same id and BullMQ enqueues it once. `source` is the Slack trigger id of a slash command,
 * or the approval id for a job that waited for approval.
 */
export function deriveJobId(runbook: string, source: string): string {
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 10);
  return `${runbook}-${digest}`;
}

/** Job ids typed by users: a runbook name, a dash, ten hex digits. */
export const JOB_ID_PATTERN = /^[a-z][a-z0-9-]{0,40}-[0-9a-f]{10}$/;
