import type { AuditRow } from '../../src/audit/audit-event';
import { ALICE, E2eStack, WORKER_CIDR, jobIdIn } from '../../test/helpers/e2e-stack';
import type { PhaseTime, SeedOutcome, SeedSlaveInputs } from './seed-inputs';

/**
 * opsdeck's /seed-slave on the same inputs as the manual procedure: a whole opsdeck (the Bolt
 * receiver and a worker process, on the local Redis and MariaDB, its AWS clients aimed at the
 * benchmark's sandbox cloud) gets the signed slash command and runs the real runbook
 * (jobs/seed-slave.ts). `seconds` runs from the command to the end of the runbook's catch-up step
 * (both threads running, no lag, executed past the source's position when the watch began); the
 * phases are the steps as the audit trail timed them, the report and the cleanups (revoking the
 * rule, deleting the temporary replica) come after. It runs in the benchmark's procedure process
 * (procedure-run.ts): the bot and its worker are that process and its child, so the peak RSS
 * measured is theirs.
 */
export async function runOpsdeckSeed(
  inputs: SeedSlaveInputs,
  log: (line: string) => void,
): Promise<SeedOutcome> {
  const [database] = inputs.databases;
  if (inputs.databases.length !== 1 || database === undefined)
    throw new Error('runOpsdeckSeed: one database (the config names the source by it)');
  const stack = new E2eStack({
    access: {
      admins: 'operators',
      groups: { operators: { users: [ALICE.id] } },
      rules: [{ command: 'seed-slave', targets: ['*'], groups: ['operators'] }],
    },
    aws: {
      region: 'us-east-1',
      endpoint: inputs.sandboxUrl,
      accessKeyIdEnv: 'BENCH_AWS_KEY_ID',
      secretAccessKeyEnv: 'BENCH_AWS_SECRET',
    },
    databases: {
      [database]: {
        instance: inputs.sourceInstance,
        user: inputs.sourceAdmin.user,
        passwordEnv: 'BENCH_SOURCE_PASSWORD',
        // Both procedures run over plain TCP here (see PLAIN_TCP in run.ts).
        tls: { mode: 'disabled' },
      },
    },
    replicas: {
      onprem: {
        host: inputs.replica.host,
        port: inputs.replica.port,
        user: inputs.replica.admin.user,
        passwordEnv: 'BENCH_REPLICA_PASSWORD',
        source: database,
        replicationUser: inputs.replication.user,
        replicationPasswordEnv: 'BENCH_REPLICATION_PASSWORD',
        tls: { mode: 'disabled' },
        sourceTls: 'disabled',
      },
    },
    restoreTable: { workerCidr: WORKER_CIDR },
    // The manual procedure polls every 500 ms too.
    seedSlave: { pollSeconds: 0.5 },
    runbook: { progressIntervalMs: 5000 },
  });
  Object.assign(stack.env, {
    // The sandbox accepts any credentials; the SDK wants some.
    BENCH_AWS_KEY_ID: 'AKIASANDBOX000000000',
    BENCH_AWS_SECRET: 'sandbox-secret-key',
    BENCH_SOURCE_PASSWORD: inputs.sourceAdmin.password,
    BENCH_REPLICA_PASSWORD: inputs.replica.admin.password,
    BENCH_REPLICATION_PASSWORD: inputs.replication.password,
  });
  try {
    await stack.start();
    await stack.startWorker();
    const startedAt = Date.now();
    const res = await stack.slash(`${database} onprem`, { command: '/seed-slave', user: ALICE });
    const ack = typeof res.body === 'string' ? res.body : (res.body.text ?? '');
    const jobId = jobIdIn(ack);
    log(`queued ${jobId}`);
    const { lines } = await stack.finishedThread(jobId, 'succeeded', 60 * 60_000);
    for (const line of lines) log(line.split('\n')[0]!);
    const seeded = lines.find((line) => line.includes('databases to seed: '));
    if (!seeded?.includes(`databases to seed: ${database} (`))
      throw new Error(`opsdeck seeded other databases than ${database}: ${seeded ?? '?'}`);
    return outcomeFrom(await stack.runtime.auditStore.jobEvents(jobId), startedAt);
  } finally {
    await stack.stop();
  }
}

/** Phases from the audit trail: command to first step, then each step; cleanups after. */
function outcomeFrom(rows: AuditRow[], startedAt: number): SeedOutcome {
  const seconds = (ms: number) => ms / 1000;
  const finished = rows.filter((row) => row.type === 'step-finished');
  const caughtUp = finished.find((row) => row.step === 'catch-up');
  const firstStep = rows.find((row) => row.type === 'step-started');
  const replicaReady = finished.find((row) => row.step === 'wait-replica');
  if (!caughtUp || !firstStep || !replicaReady)
    throw new Error('the audit trail lacks the wait-replica or catch-up step');
  const phases: PhaseTime[] = [
    { name: 'slash command to the first step', seconds: seconds(firstStep.at - startedAt) },
  ];
  const cleanup: PhaseTime[] = [];
  let last = caughtUp.at;
  for (const row of rows) {
    if (row.type === 'step-finished') {
      const { durationMs } = JSON.parse(row.detailJson!) as { durationMs: number };
      (row.at <= caughtUp.at ? phases : cleanup).push({
        name: `step ${row.step!}`,
        seconds: seconds(durationMs),
      });
      if (row.at > caughtUp.at) last = row.at;
    } else if (row.type === 'cleanup') {
      cleanup.push({ name: `cleanup ${row.step!}`, seconds: seconds(row.at - last) });
      last = row.at;
    }
  }
  return {
    startedAt,
    seconds: seconds(caughtUp.at - startedAt),
    phases,
    replicaReadySeconds: seconds(replicaReady.at - startedAt),
    cleanup,
  };
}
