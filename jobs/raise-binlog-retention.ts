import { z } from 'zod';
import { describeInstance, endpointOf } from '../src/aws/rds-instance';
import { DATABASE_NAME_PATTERN } from '../src/config/databases';
import { ErrorCode, OpsdeckError } from '../src/errors';
import type { MysqlEndpoint } from '../src/mysql/database-access';
import { MAX_BINLOG_RETENTION_HOURS } from '../src/mysql/binlog-source';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import {
  describeRaiseRetention,
  raiseBinlogRetention,
  type RetentionFacts,
} from '../src/seed/binlog-retention';
import { md } from '../src/slack/mrkdwn';

/**
 * `/seed-slave retention <source>` (the replica watch's *Raise retention* button): a replica that
 * is stopped or far behind has only as long as its source keeps the binary logs it still needs;
 * raising the source's RDS binlog retention buys it that time. Nothing else changes: the replica
 * is left as it is, to be started (or reseeded) by its owner.
 */
export default defineRunbook<RetentionInput, RetentionState, RetentionPlanFacts>({
  name: 'raise-binlog-retention',
  input: RetentionInput(),
  steps: [
    step('find-source', findSource, {
      describe: ({ source }, { sourceInstance }) =>
        md`look up ${source}'s endpoint (RDS instance ${sourceInstance})`,
    }),
    step('raise-retention', (ctx) => raiseBinlogRetention(ctx, ctx.state.source), {
      needs: ['source'],
      describe: (input, facts) => describeRaiseRetention(input, facts),
    }),
  ],
});

function RetentionInput() {
  return z.strictObject({
    /** The configured database (`databases`) whose binlogs a replica needs. */
    source: z.string().regex(DATABASE_NAME_PATTERN),
    retentionHours: z.number().int().min(1).max(MAX_BINLOG_RETENTION_HOURS),
  });
}
type RetentionInput = z.infer<ReturnType<typeof RetentionInput>>;

export interface RetentionPlanFacts extends RetentionFacts {
  sourceInstance: string;
}

interface RetentionState {
  source: MysqlEndpoint;
}

type Ctx<K extends keyof RetentionState = never> = StepContext<RetentionInput, RetentionState, K>;

async function findSource(ctx: Ctx): Promise<void> {
  const { source } = ctx.input;
  const target = ctx.services.databases.target(source);
  if (!target)
    throw new OpsdeckError(ErrorCode.StepFailed, `${source} is no longer a configured database`);
  const instance = await describeInstance(ctx.services.aws.rds, target.instance, ctx.signal);
  if (!instance)
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `RDS has no instance ${target.instance} (database ${source})`,
    );
  await ctx.remember({ source: endpointOf(instance) });
}
