import { ErrorCode, OpsdeckError } from '../errors';
import type { MysqlEndpoint } from '../mysql/database-access';
import { readBinlogSettings, setBinlogRetention } from '../mysql/binlog-source';
import { withPool } from '../mysql/with-pool';
import type { RunbookServices } from '../runbook/runbook-services';
import { md, type Mrkdwn } from '../slack/mrkdwn';

/**
 * Raising an RDS source's binlog retention: the first step of `/seed-slave`, and the whole of
 * `/seed-slave retention` (the replica watch's *Raise retention* button). Only ever raised: a
 * source that keeps its binlogs longer already is left as it is.
 */

/** The retention as the planner found it, and whether the job raises it. */
export interface RetentionFacts {
  retention: { current: number | null; raise: boolean };
}

/** What the step needs of its runbook: the source's name, the hours asked for, the thread. */
export interface RetentionStepContext {
  input: { source: string; retentionHours: number };
  services: Pick<RunbookServices, 'databases'>;
  say(text: Mrkdwn): Promise<void>;
  record(what: string, detail: Record<string, unknown>): Promise<void>;
}

/** The step as the plan shows it. */
export function describeRaiseRetention(
  { source, retentionHours }: { source: string; retentionHours: number },
  { retention }: RetentionFacts,
): Mrkdwn {
  return retention.raise
    ? md`raise binlog retention on ${source} to ${retentionHours} h (CALL mysql.rds_set_configuration); it stays raised for the replica`
    : md`check binlog retention on ${source} is at least ${retentionHours} h (it is ${retention.current ?? 'NULL'} h: left as it is)`;
}

/** Raises the retention on the source at `endpoint`, checks it reads back, audits and says it. */
export async function raiseBinlogRetention(
  ctx: RetentionStepContext,
  endpoint: MysqlEndpoint,
): Promise<void> {
  const { source: name, retentionHours } = ctx.input;
  const opened = ctx.services.databases.openPool(name, endpoint, { connections: 1 });
  await withPool(opened, async (pool) => {
    const before = await readBinlogSettings(pool);
    if (before.retentionHours !== null && before.retentionHours >= retentionHours) {
      await ctx.say(
        md`binlog retention on ${name} is ${before.retentionHours} h already: unchanged`,
      );
      return;
    }
    await setBinlogRetention(pool, retentionHours);
    const after = await readBinlogSettings(pool);
    if (after.retentionHours !== retentionHours)
      throw new OpsdeckError(
        ErrorCode.StepFailed,
        `binlog retention on ${name} reads ${after.retentionHours ?? 'NULL'} h after setting it to ${retentionHours} h`,
      );
    await ctx.record('binlog retention raised', {
      source: name,
      before: before.retentionHours,
      after: after.retentionHours,
    });
    await ctx.say(
      md`binlog retention on ${name}: ${before.retentionHours ?? 'NULL'} → ${after.retentionHours} h (CALL mysql.rds_set_configuration)`,
    );
  });
}
