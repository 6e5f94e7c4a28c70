import { manualSeed } from './manual-seed';
import { runOpsdeckSeed } from './opsdeck-seed';
import type { ProcedureJob, ProcedureReply } from './procedure-process';

/**
 * The process one seed procedure runs in (started by procedure-process.ts): takes its job from
 * the IPC channel, answers with the outcome or the error, exits.
 */
process.once('message', (message) => {
  const job = message as ProcedureJob;
  const log = (line: string) =>
    console.log(`  [${job.procedure} ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const run =
    job.procedure === 'manual'
      ? manualSeed(job.inputs, {
          temporaryReplica: job.temporaryReplica,
          retentionHours: 168,
          pollMs: 500,
          maxWaitMs: 60 * 60_000,
          log,
        })
      : runOpsdeckSeed(job.inputs, log);
  void run
    .then(
      (outcome): ProcedureReply => ({ ok: true, outcome }),
      (error: unknown): ProcedureReply => ({
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
    )
    .then((reply) => process.send!(reply, () => process.exit(0)));
});
