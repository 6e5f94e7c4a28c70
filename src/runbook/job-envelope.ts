import { z } from 'zod';

/**
 * What a queued job carries: who/what/when (`meta`) apart from the validated command input
 * (`input`), plus the runbook engine's checkpoint once the job has started.
 */
export const Person = z.object({ id: z.string(), name: z.string() });
export type Person = z.infer<typeof Person>;

export const JobMeta = z.object({
  jobId: z.string(),
  /** The command as typed, e.g. `/ops ping --ticks 3`. */
  command: z.string(),
  /** The command as access rules and the audit trail name it: `ops ping`, `restore-table`. */
  commandName: z.string().optional(),
  runbook: z.string(),
  summary: z.string(),
  target: z.string().optional(),
  actor: Person,
  channel: z.object({ id: z.string(), name: z.string() }),
  requestedAt: z.string(),
  approvedBy: Person.optional(),
  /**
   * The digests of the runbook and input the plan was made from (plan-digest.ts): the engine
   * refuses to run the job if its runbook or input no longer matches them.
   */
  planned: z.object({ runbook: z.string(), input: z.string() }).optional(),
  /** Ties together logs, audit rows and messages of one request across processes. */
  correlationId: z.string(),
});
export type JobMeta = z.infer<typeof JobMeta>;

export interface JobEnvelope<I = Record<string, unknown>, C = unknown> {
  meta: JobMeta;
  input: I;
  checkpoint?: C;
}
