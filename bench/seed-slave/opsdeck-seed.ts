import type { SeedOutcome, SeedSlaveInputs } from './seed-inputs';

/**
 * opsdeck's /seed-slave on the same inputs as the manual procedure: run the real runbook
 * (jobs/seed-slave.ts, by a worker) against the sandbox and resolve when the external replica is
 * caught up (both threads running, Seconds_Behind_Master 0, executed past the source's position at
 * the end of the copy), with the runbook's steps as phases and the temporary replica's deletion as
 * cleanup. It runs in the benchmark's procedure process (procedure-run.ts), whose process tree's
 * peak RSS is measured.
 *
 * THE ONLY PLACEHOLDER of bench/seed-slave: the runbook is being written on another branch.
 */
export async function runOpsdeckSeed(
  inputs: SeedSlaveInputs,
  log: (line: string) => void,
): Promise<SeedOutcome> {
  void inputs;
  void log;
  throw new Error('runOpsdeckSeed: not wired yet (bench/seed-slave/opsdeck-seed.ts)');
}
