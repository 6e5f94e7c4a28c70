import { fork } from 'node:child_process';
import { join } from 'node:path';
import { sampleTreeRss } from './process-tree-rss';
import type { SeedOutcome, SeedSlaveInputs } from './seed-inputs';

/**
 * Runs one seed procedure in a process of its own (procedure-run.ts), so that the peak RSS
 * measured is the procedure's (its node process and the tools it starts), not the benchmark's,
 * whose process also hosts the sandbox cloud and the write load. The inputs, passwords included,
 * go over the IPC channel, never in argv.
 */
export type ProcedureName = 'manual' | 'opsdeck';

export interface ProcedureJob {
  procedure: ProcedureName;
  inputs: SeedSlaveInputs;
  /** The manual procedure's temporary read replica. */
  temporaryReplica: string;
}

export type ProcedureReply = { ok: true; outcome: SeedOutcome } | { ok: false; error: string };

export interface ProcedureResult {
  outcome: SeedOutcome;
  /** The procedure process and its descendants together, sampled every 200 ms. */
  peakTreeRssBytes: number;
}

export function runProcedure(job: ProcedureJob): Promise<ProcedureResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'procedure-run.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const rss = sampleTreeRss(child.pid!, 200);
    let reply: ProcedureReply | undefined;
    child.on('message', (message) => {
      reply = message as ProcedureReply;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const peakTreeRssBytes = rss.stop();
      if (reply?.ok) resolve({ outcome: reply.outcome, peakTreeRssBytes });
      else {
        const why = reply ? reply.error : `exited ${code ?? signal} without an answer`;
        reject(new Error(`the ${job.procedure} procedure failed: ${why}`));
      }
    });
    child.send(job);
  });
}
