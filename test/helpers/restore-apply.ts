import mysql from 'mysql2/promise';
import pino from 'pino';
import restoreTable from '../../jobs/restore-table';
import { parseConfig } from '../../src/config/load-config';
import { DatabaseAccess } from '../../src/mysql/database-access';
import { readTableDependencies } from '../../src/restore/table-dependencies';
import { RestoreTableInput } from '../../src/restore/restore-input';
import type { ApprovalGate, ApprovalPlan } from '../../src/runbook/approval-gate';
import { newCheckpoint, type Checkpoint } from '../../src/runbook/checkpoint';
import { activeSteps } from '../../src/runbook/plan-of';
import type { RunbookEvent } from '../../src/runbook/runbook-events';
import { runRunbook } from '../../src/runbook/run-runbook';
import type { RunbookServices } from '../../src/runbook/runbook-services';
import { jobMeta } from '../fixtures/job-meta';
import { MYSQL } from './services';

// The local MariaDB serves plain TCP (LOCAL_MYSQL_TLS): every connection's TLS defaults to verify-identity.
const config = parseConfig(
  `databases:\n  billing: { instance: production, user: ${MYSQL.user}, passwordEnv: NONE, tls: { mode: disabled } }\n` +
    `restoreTable: { workerCidr: 127.0.0.1/32 }\n`,
);

export interface ApplyRun {
  schema: string;
  table: string;
  sideTable: string;
  mode: 'merge' | 'replace';
  fireTriggers?: boolean;
  comparison?: { missing: number; changed: number; extra: number };
  signal?: AbortSignal;
  defaultStepTimeoutMs?: number;
}

/**
 * The real `restore-table` runbook from its `approve-apply` step on, as a job stands after its
 * side table was copied and verified (every step before it done, the state they leave, the INSERT
 * triggers read as the `check` step reads them), on the local MariaDB (production and the side
 * table in one database), through the real engine. Only the mid-run approval is answered by a
 * stand-in gate (approvals have their own tests), which keeps the plan it was shown.
 */
export function runApply(options: ApplyRun) {
  const signal = options.signal ?? new AbortController().signal;
  const events: RunbookEvent[] = [];
  const plans: ApprovalPlan[] = [];
  const approvals: ApprovalGate = {
    awaitApproval: async (_wait, plan) => {
      plans.push(plan);
      return 'U0BOB';
    },
  };
  const input = RestoreTableInput.parse({
    database: 'billing',
    schema: options.schema,
    table: options.table,
    at: '2025-11-21T16:00:00Z',
    mode: options.mode,
    keepInstance: false,
    fireTriggers: options.fireTriggers ?? false,
  });
  const steps = activeSteps(restoreTable, input).map((s) => s.name);
  const result = insertTriggers(options).then((triggers) => {
    const checkpoint: Checkpoint = {
      ...newCheckpoint(Date.now()),
      completed: steps.slice(0, steps.indexOf('approve-apply')),
      state: {
        production: { host: MYSQL.host, port: MYSQL.port },
        instanceEndpoint: { host: MYSQL.host, port: MYSQL.port },
        sideTable: options.sideTable,
        beforeTable: `${options.table}__before_20251121160000`,
        insertTriggers: triggers,
        copyStarted: true,
        verifiedRows: 0,
        comparison: options.comparison ?? { missing: 0, changed: 0, extra: 0 },
      },
    };
    return run(options, input, checkpoint, signal, events, approvals);
  });
  const said = () =>
    events.flatMap((event) => (event.type === 'say' ? [event.text.toString()] : []));
  const shown = () => plans.flatMap((plan) => plan.steps.map((s) => s.text.toString()));
  return { result, events, said, shown };
}

/** What the `check` step records: production's INSERT triggers, for a merge. */
async function insertTriggers(options: ApplyRun) {
  if (options.mode !== 'merge') return [];
  const pool = mysql.createPool({ ...MYSQL, connectionLimit: 1 });
  try {
    return (await readTableDependencies(pool, options.schema, options.table)).insertTriggers;
  } finally {
    await pool.end();
  }
}

function run(
  options: ApplyRun,
  input: RestoreTableInput,
  checkpoint: Checkpoint,
  signal: AbortSignal,
  events: RunbookEvent[],
  approvals: ApprovalGate,
) {
  return runRunbook({
    definition: restoreTable,
    envelope: {
      meta: jobMeta({ jobId: 'restore-table-0a1b2c3d4e', runbook: 'restore-table' }),
      input,
      checkpoint,
    },
    signal,
    persist: async () => undefined,
    cancelRequestedBy: async () => (signal.aborted ? { id: 'U0ALICE', name: 'alice' } : null),
    observers: [{ onEvent: (_meta, event) => void events.push(event) }],
    services: {
      config,
      databases: new DatabaseAccess(config.databases, { billing: '' }),
    } as unknown as RunbookServices,
    approvals,
    logger: pino({ level: 'silent' }),
    settings: {
      ...config.runbook,
      ...(options.defaultStepTimeoutMs !== undefined && {
        defaultStepTimeoutMs: options.defaultStepTimeoutMs,
      }),
    },
  });
}
