import { z } from 'zod';
import {
  defineCommand,
  subcommand,
  type CommandContext,
  type RunbookPlan,
} from '../src/command/define-command';
import { endpointOf } from '../src/aws/rds-instance';
import { DATABASE_NAME_PATTERN } from '../src/config/databases';
import { ErrorCode, UsageError, isOpsdeckError } from '../src/errors';
import { IDENTIFIER_PATTERN } from '../src/mysql/sql-identifier';
import { withPool } from '../src/mysql/with-pool';
import { AT_FORMATS, parsePointInTime } from '../src/restore/point-in-time';
import {
  checkProductionTable,
  checkRestoreSource,
  type RestoreMode,
} from '../src/restore/restore-preflight';
import { restoreFacts } from '../src/restore/restore-facts';
import type { RestoreTableInput } from '../src/restore/restore-input';
import { runbookPlan } from '../src/command/runbook-plan';
import restoreTable from '../jobs/restore-table';
import { isoSeconds } from '../src/util/time';
import { date, md } from '../src/slack/mrkdwn';

/**
 * `/restore-table`: one table back from an RDS point-in-time backup. The planner checks
 * everything it can before anything exists (the database, the restore window, the schema and
 * table, what the mode needs) and shows the plan; the work is the `restore-table` runbook
 * (jobs/restore-table.ts).
 */

const USAGE =
  '/restore-table <database> <schema>.<table> --at <time> [--mode side|merge|replace] [--fire-triggers] [--keep-instance]';

const schema = z
  .strictObject({
    database: z
      .string({ error: 'is missing (a database from the config)' })
      .regex(
        DATABASE_NAME_PATTERN,
        'must be a database name from the config (a-z, 0-9 and -, starting with a letter)',
      ),
    table: z.string({ error: 'is missing (like billing.invoices)' }).transform((text, ctx) => {
      const [schemaName, tableName, ...rest] = text.split('.');
      if (
        rest.length > 0 ||
        tableName === undefined ||
        !IDENTIFIER_PATTERN.test(schemaName!) ||
        !IDENTIFIER_PATTERN.test(tableName)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be <schema>.<table>, each 1-64 of A-Z a-z 0-9 _ $ (like billing.invoices)',
        });
        return z.NEVER;
      }
      return { schema: schemaName!, table: tableName };
    }),
    /** Words after the positionals: the rest of an unquoted `--at 15m ago`. */
    rest: z.array(z.string()).default([]),
    at: z.string({ error: `is missing: ${AT_FORMATS}` }),
    mode: z
      .enum(['side', 'merge', 'replace'], { error: 'must be side, merge or replace' })
      .default('side'),
    'keep-instance': z.boolean().default(false),
    'fire-triggers': z.boolean().default(false),
  })
  .transform((input, ctx) => {
    if (input['fire-triggers'] && input.mode !== 'merge') {
      ctx.addIssue({
        code: 'custom',
        path: ['fire-triggers'],
        message: 'only goes with --mode merge (the mode that inserts into production)',
      });
      return z.NEVER;
    }
    const text = [input.at, ...input.rest].join(' ');
    const parsed = parsePointInTime(text, new Date());
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', path: ['at'], message: `"${text}" ${parsed.error}` });
      return z.NEVER;
    }
    return {
      database: input.database,
      ...input.table,
      at: parsed.at,
      mode: input.mode as RestoreMode,
      keepInstance: input['keep-instance'],
      fireTriggers: input['fire-triggers'],
    };
  });

type Parsed = z.infer<typeof schema>;

async function plan(input: Parsed, ctx: CommandContext): Promise<RunbookPlan> {
  const target = ctx.databases.target(input.database);
  if (!target) {
    const known = ctx.databases.names();
    throw new UsageError(
      `<database>: ${input.database} is not a configured database (configured: ${known.length > 0 ? known.join(', ') : 'none; see `databases` in the config'})`,
      USAGE,
    );
  }
  const where = `${input.schema}.${input.table}`;
  let source;
  let production;
  try {
    source = await checkRestoreSource(ctx.aws.rds, input.database, target, input.at);
    const pool = ctx.databases.openPool(input.database, endpointOf(source.instance), {
      connections: 1,
      connectTimeoutMs: 2000,
    });
    production = await withPool(pool, (p) =>
      checkProductionTable(p, input.schema, input.table, input.mode, input.fireTriggers),
    );
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.RestoreRefused)
      throw new UsageError(error.message, USAGE, { cause: error });
    throw error;
  }
  const jobInput: RestoreTableInput = {
    database: input.database,
    schema: input.schema,
    table: input.table,
    at: isoSeconds(input.at),
    mode: input.mode,
    keepInstance: input.keepInstance,
    fireTriggers: input.fireTriggers,
  };
  return runbookPlan(
    restoreTable,
    jobInput,
    restoreFacts(ctx.config.restoreTable, target, {
      window: source.window,
      ...(input.mode === 'merge' && { insertTriggers: production.dependencies.insertTriggers }),
    }),
    {
      summary: md`restore ${where} of ${input.database} as it was at ${date(input.at)} (--mode ${input.mode}${input.fireTriggers ? ', --fire-triggers' : ''}${input.keepInstance ? ', --keep-instance' : ''})`,
    },
  );
}

export default defineCommand({
  name: 'restore-table',
  summary: 'one table back from an RDS point-in-time backup, into a side table first',
  defaultSubcommand: 'restore-table',
  subcommands: [
    subcommand({
      name: 'restore-table',
      usage: USAGE,
      summary:
        'restore <schema>.<table> as it was at --at (ISO-8601, "15m ago" or a Slack message link) into a side table; --mode merge inserts the missing rows (a table with INSERT triggers only with --fire-triggers), --mode replace swaps the table',
      positionals: ['database', 'table', 'rest...'],
      options: {
        at: { type: 'string' },
        mode: { type: 'string' },
        'keep-instance': { type: 'boolean' },
        'fire-triggers': { type: 'boolean' },
      },
      schema,
      target: (input) => input.database,
      plan,
    }),
  ],
});
