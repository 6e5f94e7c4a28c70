import type { Pool } from 'mysql2/promise';
import { endpointOf } from '../src/aws/rds-instance';
import { startPointInTimeRestore } from '../src/aws/temporary-instance';
import type { MysqlEndpoint } from '../src/mysql/database-access';
import { sideTableName, sideTableStamp } from '../src/mysql/side-table';
import { checkIdentifier } from '../src/mysql/sql-identifier';
import { describeStopped } from '../src/mysql/stop-statements';
import { withPool } from '../src/mysql/with-pool';
import { mergeMissingRows, swapInRestoredTable } from '../src/restore/apply-restored-table';
import { describeComparison } from '../src/restore/describe-comparison';
import { restoreFacts, type RestoreFacts, type RowCounts } from '../src/restore/restore-facts';
import { describeTriggers, type TableTrigger } from '../src/restore/table-dependencies';
import { RestoreTableInput } from '../src/restore/restore-input';
import {
  checkProductionTable,
  checkRestoreSource,
  describeWindow,
  refused,
} from '../src/restore/restore-preflight';
import { copyRestoredTable, verifyRestoredCopy } from '../src/restore/restored-copy';
import { approval, defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { abortReason, abortWords } from '../src/runbook/retry-policy';
import {
  temporaryInstanceSteps,
  type TemporaryInstanceRequest,
  type TemporaryInstanceState,
} from '../src/temporary-instance/temporary-instance-steps';
import { DAY_MS, formatDuration } from '../src/util/duration';
import { isoSeconds } from '../src/util/time';
import { code, md } from '../src/slack/mrkdwn';

/**
 * How long a cancelled merge or copy may take to stop: KILL QUERY, then the server undoes the rows
 * the statement had written (about as long as writing them took).
 */
const ROLLBACK_SETTLE_MS = 30 * 60_000;

/**
 * `/restore-table`: one table back from an RDS point-in-time backup (see ../shared/runbooks.md).
 * A temporary instance is restored at the time asked for (its name recorded before the call, and
 * tagged with the job), in a security group of the job's own (unless the config names groups),
 * reached through a tagged security-group rule in it, and the table is copied from it into
 * production as a new side table in checkpointed key ranges. Then it is verified and compared
 * with production, and applied per mode: `side` stops there; `merge` and `replace` ask for
 * approval again before they touch the production table. The rule, the instance and its group are
 * removed however the job ends (the instance and its group stay with --keep-instance).
 */
export default defineRunbook<RestoreTableInput, RestoreState, RestoreFacts>({
  name: 'restore-table',
  input: RestoreTableInput,
  steps: [
    step('check', check, {
      describe: (_input, { sourceInstance, window }) =>
        window
          ? md`check again: the restore window of ${sourceInstance} (now ${describeWindow(window)}) and the table`
          : md`check again: the restore window of ${sourceInstance} and the table`,
    }),
    temporaryInstanceSteps({
      purpose: 'restore-table',
      kind: 'restore',
      noun: 'temporary instance',
      names: {
        create: 'restore-instance',
        wait: 'wait-instance',
        deleteInstance: 'delete-restored-instance',
      },
      database: (input) => input.database,
      settings: (config) => config.restoreTable,
      create: restoreInstance,
      describeCreate: (input, facts) =>
        md`restore a temporary instance of ${facts.sourceInstance} at ${input.at} into it, tagged with the job (private, no deletion protection)`,
      keep: (input) => input.keepInstance,
      refused: (message) => refused(message),
    }),
    step('copy-table', copy, {
      needs: ['sideTable', 'production', 'instanceEndpoint'],
      describe: ({ schema, table }) =>
        md`copy ${schema}.${table} from it into production as ${`${table}__restored_<stamp>`}, in parallel key ranges`,
      timeoutMs: DAY_MS,
      // A cancel or timeout stops the copy's statements before the cleanups run.
      settleOnAbortMs: ROLLBACK_SETTLE_MS,
    }),
    step('verify', verify, {
      needs: ['sideTable', 'production', 'instanceEndpoint'],
      describe: () =>
        md`verify counts and checksum; compare with production: rows missing, changed, extra`,
      timeoutMs: DAY_MS,
    }),
    approval('approve-apply', {
      when: (input) => input.mode !== 'side',
      needs: ['sideTable', 'beforeTable'],
      describe: ({ mode }, { insertTriggers = [] }) =>
        mode === 'merge' && insertTriggers.length > 0
          ? md`ask for approval again before the merge, with the rows found missing, changed and extra and the INSERT triggers it fires (--fire-triggers): ${describeTriggers(insertTriggers)}`
          : md`ask for approval again before the ${mode}, with the rows found missing, changed and extra`,
      summary: ({ schema, table, mode, at }, { verified }) =>
        mode === 'merge'
          ? md`merge into production ${schema}.${table}: insert the ${verified?.counts?.missing ?? 0} rows missing since ${at}`
          : md`replace production ${schema}.${table} with its restored copy (as of ${at})`,
      facts: (ctx) =>
        restoreFacts(ctx.services.config.restoreTable, target(ctx), {
          verified: {
            sideTable: ctx.state.sideTable,
            beforeTable: ctx.state.beforeTable,
            counts: ctx.state.comparison ?? null,
          },
          insertTriggers: ctx.state.insertTriggers ?? [],
        }),
    }),
    step('apply', apply, {
      when: (input) => input.mode !== 'side',
      needs: ['sideTable', 'beforeTable', 'production'],
      describe: describeApply,
      irreversible: true,
      // A cancel or timeout stops the merge's INSERT and rolls it back before the cleanups run.
      settleOnAbortMs: ROLLBACK_SETTLE_MS,
    }),
    step('report', report, {
      describe: ({ mode }) =>
        mode === 'side'
          ? md`stop there: the side table and the comparison are yours to use (production's table is unchanged)`
          : md`report what was applied`,
    }),
  ],
});

interface RestoreState extends TemporaryInstanceState {
  production: MysqlEndpoint;
  sideTable: string;
  beforeTable: string;
  copyStarted: boolean;
  doneRanges: number[];
  copiedRows: number;
  verifiedRows: number;
  /** Null when the table has no key to compare rows by. */
  comparison: RowCounts | null;
  applied: string;
  /** The INSERT triggers the check found on production's table (a merge fires them). */
  insertTriggers: TableTrigger[];
}

type Ctx<K extends keyof RestoreState = never> = StepContext<RestoreTableInput, RestoreState, K>;

const target = (ctx: Ctx) => ctx.services.databases.target(ctx.input.database)!;

/** A pool on `endpoint` (production or the restored instance) as the configured database's user. */
const poolOn = (ctx: Ctx, endpoint: MysqlEndpoint, connections: number): Pool =>
  ctx.services.databases.openPool(ctx.input.database, endpoint, { connections });

async function check(ctx: Ctx): Promise<void> {
  const { input, meta } = ctx;
  const at = new Date(input.at);
  const { instance, window } = await checkRestoreSource(
    ctx.services.aws.rds,
    input.database,
    target(ctx),
    at,
    ctx.signal,
  );
  const production = endpointOf(instance);
  const { dependencies } = await withPool(poolOn(ctx, production, 1), (pool) =>
    checkProductionTable(pool, input.schema, input.table, input.mode, input.fireTriggers),
  );
  const stamp = sideTableStamp(new Date(meta.requestedAt));
  const sideTable = sideTableName(input.table, stamp);
  const beforeTable = checkIdentifier(`${input.table}__before_${stamp}`);
  await ctx.remember({
    production,
    sideTable,
    beforeTable,
    insertTriggers: input.mode === 'merge' ? dependencies.insertTriggers : [],
  });
  await ctx.say(
    md`${input.database} (${instance.DBInstanceIdentifier!}) can be restored to ${isoSeconds(at)}: window ${isoSeconds(window.earliest!)} – ${isoSeconds(window.latest!)}; ${input.schema}.${input.table} is in production`,
  );
}

async function restoreInstance(
  ctx: Ctx<'instanceName'>,
  request: TemporaryInstanceRequest,
): Promise<void> {
  const { instanceClass } = ctx.services.config.restoreTable;
  const { created } = await startPointInTimeRestore(
    ctx.services.aws.rds,
    { ...request, at: new Date(ctx.input.at), instanceClass },
    ctx.signal,
  );
  const { name, source } = request;
  await ctx.say(
    created
      ? md`restoring \`${name}\` from ${source.DBInstanceIdentifier!} at ${ctx.input.at}`
      : md`\`${name}\` was already being restored by this job; not again`,
  );
}

async function copy(ctx: Ctx<'sideTable' | 'production' | 'instanceEndpoint'>): Promise<void> {
  const { schema, table } = ctx.input;
  const { sideTable, production, instanceEndpoint } = ctx.state;
  const { parallelism } = ctx.services.config.restoreTable;
  await withPool(poolOn(ctx, instanceEndpoint, parallelism + 1), (source) =>
    withPool(poolOn(ctx, production, parallelism + 1), async (destination) => {
      const done = [...(ctx.state.doneRanges ?? [])];
      let saving = Promise.resolve();
      let copied = 0;
      let killed: readonly number[] = [];
      const result = await copyRestoredTable({
        source,
        production: destination,
        schema,
        table,
        sideTable,
        at: ctx.input.at,
        parallelism,
        resume: { started: ctx.state.copyStarted === true, doneRanges: done },
        onStart: async (resumed) => {
          if (resumed > 0)
            await ctx.say(
              md`resuming the copy: ${resumed} key ranges were copied before the interruption`,
            );
          await ctx.remember({ copyStarted: true });
        },
        onProgress: (rows, estimated) => {
          copied = rows;
          ctx.progress(rows, estimated, 'rows');
        },
        onRangeDone: (index) => {
          done.push(index);
          saving = saving.then(() => ctx.remember({ doneRanges: [...done] }));
          return saving;
        },
        signal: ctx.signal,
        onStopped: (threads) => {
          killed = threads;
        },
      }).catch(async (error: unknown) => {
        if (ctx.signal.aborted)
          await ctx.say(
            md`:leftwards_arrow_with_hook: ${abortWords(ctx.signal)} during the copy: ${describeStopped(killed)}; no statement of the copy runs any more. \`${schema}.${sideTable}\` keeps what was committed before (${copied} rows by this run); production's ${table} is untouched.`,
          );
        throw error;
      });
      await ctx.remember({ copiedRows: (ctx.state.copiedRows ?? 0) + result.rows });
      await ctx.say(
        md`copied ${result.rows} rows into \`${schema}.${sideTable}\` in ${formatDuration(result.durationMs)} (${result.ranges.length} key ranges, ${parallelism} connections)`,
      );
    }),
  );
}

async function verify(ctx: Ctx<'sideTable' | 'production' | 'instanceEndpoint'>): Promise<void> {
  const { schema, table } = ctx.input;
  const { sideTable, production, instanceEndpoint } = ctx.state;
  await withPool(poolOn(ctx, instanceEndpoint, 1), (source) =>
    withPool(poolOn(ctx, production, 1), async (destination) => {
      const { rows, comparison } = await verifyRestoredCopy(source, destination, {
        schema,
        table,
        sideTable,
        sampleSize: ctx.services.config.restoreTable.sampleSize,
      });
      await ctx.say(
        md`:white_check_mark: verified: \`${sideTable}\` has the restored table's ${rows} rows, same checksum`,
      );
      if (comparison === null) {
        await ctx.remember({ verifiedRows: rows, comparison: null });
        await ctx.say(
          md`${schema}.${table} has no primary or NOT NULL unique key: rows cannot be compared one by one`,
        );
        return;
      }
      await ctx.remember({
        verifiedRows: rows,
        comparison: {
          missing: comparison.missing.count,
          changed: comparison.changed.count,
          extra: comparison.extra.count,
        },
      });
      await ctx.say(describeComparison(comparison, `${schema}.${table}`, ctx.input.at));
    }),
  );
}

function describeApply(input: RestoreTableInput, { verified, insertTriggers = [] }: RestoreFacts) {
  const where = `${input.schema}.${input.table}`;
  if (input.mode === 'merge') {
    const insert = verified
      ? md`INSERT into ${where} the ${verified.counts?.missing ?? 0} rows of ${code(verified.sideTable)} whose key is not in production (one statement: all or none); leave alone the ${verified.counts?.changed ?? 0} rows changed and the ${verified.counts?.extra ?? 0} rows added since: no row is updated or deleted`
      : md`INSERT into ${where} the rows of the side table whose key is missing in production (one statement: all or none; no row is updated or deleted)`;
    return insertTriggers.length > 0
      ? md`${insert}; the INSERT fires production's INSERT triggers once for every row (--fire-triggers): ${describeTriggers(insertTriggers)}`
      : insert;
  }
  const autoIncrement = md`set the restored table's AUTO_INCREMENT above production's (its counter or highest id + 1, read just before the swap), then`;
  return verified
    ? md`${autoIncrement} RENAME TABLE ${input.table} TO ${verified.beforeTable}, ${verified.sideTable} TO ${input.table} (atomic): the ${verified.counts?.extra ?? 0} rows added and ${verified.counts?.changed ?? 0} rows changed since leave ${where}; they stay in ${verified.beforeTable}`
    : md`${autoIncrement} swap atomically: RENAME TABLE t TO ${'t__before_<stamp>'}, side TO t (the old content is kept)`;
}

async function apply(ctx: Ctx<'sideTable' | 'beforeTable' | 'production'>): Promise<void> {
  const { schema, table, mode } = ctx.input;
  const { sideTable, beforeTable, production } = ctx.state;
  await withPool(poolOn(ctx, production, 1), async (pool) => {
    if (mode === 'merge') {
      const merged = await mergeMissingRows(pool, {
        schema,
        table,
        sideTable,
        fireTriggers: ctx.input.fireTriggers,
        signal: ctx.signal,
      });
      if (merged.outcome === 'rolled-back') {
        const why = abortWords(ctx.signal);
        const how = merged.killed
          ? `its INSERT … SELECT was stopped (KILL QUERY on connection ${merged.connectionId})`
          : merged.uncommittedRows === null
            ? 'before its INSERT started'
            : `after its INSERT (${merged.uncommittedRows} rows, not committed)`;
        await ctx.say(
          md`:leftwards_arrow_with_hook: ${why} during the merge: ${how}, and its transaction was rolled back. ${schema}.${table} is as it was before the merge: no row inserted.`,
        );
        await ctx.remember({ applied: 'merge rolled back: nothing inserted' });
        throw abortReason(ctx.signal);
      }
      const { inserted, after } = merged;
      await ctx.remember({ applied: `inserted ${inserted} rows` });
      await ctx.say(
        md`:white_check_mark: merged: inserted ${inserted} rows into ${schema}.${table}; rows still missing: ${after.missing}; nothing updated or deleted (${after.changed} rows differ from the restored copy, ${after.extra} rows were added since)`,
      );
      return;
    }
    const swap = await swapInRestoredTable(pool, { schema, table, sideTable, beforeTable });
    await ctx.remember({ applied: `swapped; old table kept as ${beforeTable}` });
    if (swap.alreadySwapped) {
      await ctx.say(
        md`the swap was done before the interruption: ${table} is the restored table, the old one is ${beforeTable}`,
      );
      return;
    }
    if (swap.autoIncrement) {
      const { next, counter, column, max } = swap.autoIncrement;
      await ctx.say(
        md`AUTO_INCREMENT of ${schema}.${table} set to ${next} (production's counter was ${counter}, its highest ${column} ${max ?? 'none'}): new rows never reuse an id of a row now in ${beforeTable}`,
      );
    }
    if (swap.foreignKeysAdded.length > 0)
      await ctx.say(
        md`added ${table}'s ${swap.foreignKeysAdded.length} foreign key(s) to \`${sideTable}\` (${swap.foreignKeysAdded.join(', ')}; the server names the new ones)`,
      );
    await ctx.say(
      md`:white_check_mark: swapped: ${schema}.${table} is the restored table (${swap.rows.swappedIn} rows); the table it replaced is kept as ${schema}.${beforeTable} (${swap.rows.kept} rows)`,
    );
  });
}

async function report(ctx: Ctx): Promise<void> {
  const { schema, table, mode } = ctx.input;
  const s = ctx.state;
  const outcome =
    mode === 'side'
      ? `the restored rows are in \`${schema}.${s.sideTable}\` (production's ${table} is unchanged). To take them: \`--mode merge\` inserts the missing rows, \`--mode replace\` swaps the table`
      : (s.applied ?? 'nothing applied');
  await ctx.say(
    md`:white_check_mark: ${schema}.${table} as of ${ctx.input.at}: ${s.verifiedRows ?? 0} rows restored; ${outcome}.`,
  );
}
