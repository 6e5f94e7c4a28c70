import type { Pool, RowDataPacket } from 'mysql2/promise';
import { describeInstance, endpointOf } from '../src/aws/rds-instance';
import { TAG } from '../src/aws/resource-tags';
import {
  closeWorkerIngress,
  createInstanceGroup,
  deleteInstanceGroup,
  deleteTemporaryInstance,
  openWorkerIngress,
  waitForTemporaryInstance,
  type TemporaryInstanceState,
} from '../src/temporary-instance/temporary-instance-steps';
import {
  ownedBy,
  startPointInTimeRestore,
  temporaryInstanceName,
} from '../src/aws/temporary-instance';
import { AddTagsToResourceCommand } from '@aws-sdk/client-rds';
import { ErrorCode, OpsdeckError, isOpsdeckError } from '../src/errors';
import { compareTables } from '../src/mysql/compare-tables';
import { copyTable } from '../src/mysql/copy-table';
import type { MysqlEndpoint } from '../src/mysql/database-access';
import { sideTableName, sideTableStamp } from '../src/mysql/side-table';
import { checkIdentifier, qualifiedTable, quoteIdentifier } from '../src/mysql/sql-identifier';
import { verifyCopy } from '../src/mysql/table-checksum';
import { readTableShape } from '../src/mysql/table-shape';
import { RestoreTableInput } from '../src/restore/restore-input';
import {
  checkProductionTable,
  checkRestoreSource,
  refused,
} from '../src/restore/restore-preflight';
import { describeComparison } from '../src/restore/describe-comparison';
import {
  describeTriggers,
  mergeObstacle,
  readTableDependencies,
  replaceObstacle,
  type ForeignKey,
} from '../src/restore/table-dependencies';
import { withPool } from '../src/mysql/with-pool';
import { mergeMissingRows } from '../src/restore/merge-missing-rows';
import { abortReason } from '../src/runbook/retry-policy';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { must } from '../src/runbook/recorded-state';
import { formatDuration } from '../src/util/duration';
import { isoSeconds } from '../src/util/time';
import { md } from '../src/slack/mrkdwn';

/**
 * `/restore-table`: one table back from an RDS point-in-time backup (see ../shared/runbooks.md).
 * A temporary instance is restored at the time asked for (its name recorded before the call, and
 * tagged with the job), in a security group of the job's own (unless the config names groups),
 * reached through a tagged security-group rule in it, and the table is copied
 * from it into production as a new side table in checkpointed key ranges. Then it is verified and
 * compared with production, and applied per mode: `side` stops there; `merge` and `replace` ask
 * for approval again before they touch the production table. The rule, the instance and its
 * group are removed however the job ends (the instance and its group stay with --keep-instance).
 */
type Ctx = StepContext<RestoreTableInput>;

const PURPOSE = 'restore-table';
/** The copy and the waits are long by nature; their own limits come from the config. */
const DAY_MS = 24 * 3600_000;
/**
 * How long a cancelled merge may take to stop: KILL QUERY, then the server undoes the rows the
 * INSERT had written (about as long as writing them took).
 */
const ROLLBACK_SETTLE_MS = 30 * 60_000;

interface RestoreState extends TemporaryInstanceState {
  instanceName?: string;
  sideTable?: string;
  beforeTable?: string;
  /** Set before RestoreDBInstanceToPointInTime is called. */
  restoreRequested?: boolean;
  restored?: MysqlEndpoint;
  production?: MysqlEndpoint;
  copyStarted?: boolean;
  doneRanges?: number[];
  copiedRows?: number;
  verifiedRows?: number;
  comparison?: { missing: number; changed: number; extra: number } | null;
  applied?: string;
}

const state = (ctx: Ctx) => ctx.state as RestoreState;
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
  await withPool(poolOn(ctx, production, 1), (pool) =>
    checkProductionTable(pool, input.schema, input.table, input.mode),
  );
  const stamp = sideTableStamp(new Date(meta.requestedAt));
  const sideTable = sideTableName(input.table, stamp);
  const beforeTable = checkIdentifier(`${input.table}__before_${stamp}`);
  const instanceName = temporaryInstanceName(instance.DBInstanceIdentifier!, 'restore', meta.jobId);
  await ctx.remember({ production, sideTable, beforeTable, instanceName });
  await ctx.say(
    md`${input.database} (${instance.DBInstanceIdentifier!}) can be restored to ${isoSeconds(at)}: window ${isoSeconds(window.earliest!)} – ${isoSeconds(window.latest!)}; ${input.schema}.${input.table} is in production`,
  );
}

async function createGroup(ctx: Ctx): Promise<void> {
  const name = must(state(ctx).instanceName, 'the instance name');
  const source = await describeInstance(ctx.services.aws.rds, target(ctx).instance, ctx.signal);
  if (!source) throw refused(`RDS has no instance ${target(ctx).instance} any more`);
  await createInstanceGroup(
    ctx,
    name,
    PURPOSE,
    source,
    ctx.services.config.restoreTable.securityGroupIds,
  );
}

async function removeGroup(ctx: Ctx): Promise<void> {
  await deleteInstanceGroup(
    ctx,
    ctx.services.config.restoreTable,
    ctx.input.keepInstance ? state(ctx).instanceName : undefined,
  );
}

async function restoreInstance(ctx: Ctx): Promise<void> {
  const name = must(state(ctx).instanceName, 'the instance name');
  const source = await describeInstance(ctx.services.aws.rds, target(ctx).instance, ctx.signal);
  if (!source) throw refused(`RDS has no instance ${target(ctx).instance} any more`);
  await ctx.remember({ restoreRequested: true });
  const { restoreTable } = ctx.services.config;
  const { jobGroupId } = state(ctx);
  const { created } = await startPointInTimeRestore(
    ctx.services.aws.rds,
    {
      source,
      name,
      at: new Date(ctx.input.at),
      instanceClass: restoreTable.instanceClass,
      securityGroupIds: jobGroupId ? [jobGroupId] : restoreTable.securityGroupIds,
      tags: {
        jobId: ctx.meta.jobId,
        purpose: PURPOSE,
        requestedBy: ctx.meta.actor.id,
        source: source.DBInstanceIdentifier!,
      },
    },
    ctx.signal,
  );
  await ctx.say(
    created
      ? md`restoring \`${name}\` from ${source.DBInstanceIdentifier!} at ${ctx.input.at}`
      : md`\`${name}\` was already being restored by this job; not again`,
  );
}

async function removeInstance(ctx: Ctx): Promise<void> {
  const { instanceName: name, restoreRequested } = state(ctx);
  if (!restoreRequested || name === undefined) return;
  const { rds } = ctx.services.aws;
  const instance = await describeInstance(rds, name);
  if (!instance) return;
  if (!ownedBy(instance, ctx.meta.jobId)) {
    await ctx.say(md`:warning: \`${name}\` exists but is not this job's; left alone`);
    return;
  }
  if (ctx.input.keepInstance) {
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: instance.DBInstanceArn,
        Tags: [{ Key: TAG.keep, Value: ctx.meta.actor.id }],
      }),
    );
    const where = instance.Endpoint?.Address
      ? ` at ${instance.Endpoint.Address}:${instance.Endpoint.Port}`
      : '';
    await ctx.say(
      md`:warning: kept as asked (--keep-instance): \`${name}\`${where}, ${instance.DBInstanceStatus ?? 'unknown status'}, ${instance.DBInstanceClass ?? 'unknown class'}. It costs money until deleted: delete it (no final snapshot) when done.`,
    );
    return;
  }
  await deleteTemporaryInstance(ctx, name, ctx.services.config.restoreTable);
}

async function waitInstance(ctx: Ctx): Promise<void> {
  const name = must(state(ctx).instanceName, 'the instance name');
  const restored = await waitForTemporaryInstance(ctx, name, ctx.services.config.restoreTable);
  await ctx.remember({ restored });
}

async function openNetwork(ctx: Ctx): Promise<void> {
  await openWorkerIngress(ctx, must(state(ctx).instanceName, 'the instance name'), PURPOSE);
}

async function sideTableExists(pool: Pool, schema: string, table: string): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  return rows.length > 0;
}

async function copy(ctx: Ctx): Promise<void> {
  const { schema, table } = ctx.input;
  const s = state(ctx);
  const sideTable = must(s.sideTable, 'the side table name');
  const restored = must(s.restored, "the restored instance's endpoint");
  const production = must(s.production, "production's endpoint");
  const { parallelism } = ctx.services.config.restoreTable;
  await withPool(poolOn(ctx, restored, parallelism + 1), (source) =>
    withPool(poolOn(ctx, production, parallelism + 1), async (destination) => {
      try {
        await readTableShape(source, schema, table);
      } catch (error) {
        if (isOpsdeckError(error) && error.code === ErrorCode.MysqlTableNotFound)
          throw refused(
            `${schema}.${table} did not exist at ${ctx.input.at}: nothing to restore`,
            error,
          );
        throw error;
      }
      const exists = await sideTableExists(destination, schema, sideTable);
      if (exists && !s.copyStarted)
        throw refused(
          `${schema}.${sideTable} exists already and is not this job's; nothing was copied`,
        );
      const done = [...(s.doneRanges ?? [])];
      const resume = exists ? { doneRanges: done } : undefined;
      if (resume && done.length > 0)
        await ctx.say(
          md`resuming the copy: ${done.length} key ranges were copied before the interruption`,
        );
      await ctx.remember({ copyStarted: true });
      let saving = Promise.resolve();
      const result = await copyTable({
        source,
        destination,
        from: { database: schema, table },
        to: { database: schema, table: sideTable },
        parallelism,
        ...(resume && { resume }),
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.rows, p.estimatedRows, 'rows'),
        onRangeDone: (range) => {
          done.push(range.index);
          saving = saving.then(() => ctx.remember({ doneRanges: [...done] }));
          return saving;
        },
      });
      await ctx.remember({ copiedRows: (s.copiedRows ?? 0) + result.rows });
      await ctx.say(
        md`copied ${result.rows} rows into \`${schema}.${sideTable}\` in ${formatDuration(result.durationMs)} (${result.ranges.length} key ranges, ${parallelism} connections)`,
      );
    }),
  );
}

async function verify(ctx: Ctx): Promise<void> {
  const { schema, table } = ctx.input;
  const s = state(ctx);
  const sideTable = must(s.sideTable, 'the side table name');
  await withPool(poolOn(ctx, must(s.restored, 'the restored endpoint'), 1), (source) =>
    withPool(poolOn(ctx, must(s.production, "production's endpoint"), 1), async (production) => {
      const shape = await readTableShape(source, schema, table);
      const check = await verifyCopy(
        source,
        production,
        { database: schema, table },
        { database: schema, table: sideTable },
        shape.insertable,
      );
      if (!check.equal)
        throw new OpsdeckError(
          ErrorCode.StepFailed,
          `the side table does not match the restored table: ${check.side.rows} rows (checksum ${check.side.checksum}) vs ${check.source.rows} rows (checksum ${check.source.checksum}); nothing in production was changed`,
        );
      await ctx.say(
        md`:white_check_mark: verified: \`${sideTable}\` has the restored table's ${check.source.rows} rows, same checksum`,
      );
      if (shape.key === null) {
        await ctx.remember({ verifiedRows: check.source.rows, comparison: null });
        await ctx.say(
          md`${schema}.${table} has no primary or NOT NULL unique key: rows cannot be compared one by one`,
        );
        return;
      }
      const comparison = await compareTables(
        production,
        schema,
        table,
        sideTable,
        ctx.services.config.restoreTable.sampleSize,
      );
      await ctx.remember({
        verifiedRows: check.source.rows,
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

async function apply(ctx: Ctx): Promise<void> {
  const { schema, table, mode } = ctx.input;
  const s = state(ctx);
  const sideTable = must(s.sideTable, 'the side table name');
  const beforeTable = must(s.beforeTable, 'the name for the old table');
  const counts = s.comparison;
  const where = `${schema}.${table}`;
  const production = must(s.production, "production's endpoint");
  const triggers =
    mode === 'merge'
      ? (
          await withPool(poolOn(ctx, production, 1), (pool) =>
            readTableDependencies(pool, schema, table),
          )
        ).insertTriggers
      : [];
  await ctx.requestApproval(
    mode === 'merge'
      ? {
          summary: md`merge into production ${where}: insert the ${counts?.missing ?? 0} rows missing since ${ctx.input.at}`,
          steps: [
            {
              text: md`INSERT into ${where} the ${counts?.missing ?? 0} rows of \`${sideTable}\` whose key is not in production (one statement: all or none)`,
              irreversible: true,
            },
            ...(triggers.length > 0
              ? [
                  {
                    text: md`fire production's INSERT triggers once for every row inserted (--fire-triggers): ${describeTriggers(triggers)}`,
                    irreversible: true,
                  },
                ]
              : []),
            {
              text: md`leave alone the ${counts?.changed ?? 0} rows changed and the ${counts?.extra ?? 0} rows added since: no row is updated or deleted`,
            },
          ],
        }
      : {
          summary: md`replace production ${where} with its restored copy (as of ${ctx.input.at})`,
          steps: [
            {
              text: md`set the restored table's AUTO_INCREMENT above production's (its counter or highest id + 1, read just before the swap)`,
            },
            {
              text: md`RENAME TABLE ${table} TO ${beforeTable}, ${sideTable} TO ${table} (atomic)`,
              irreversible: true,
            },
            {
              text: md`the ${counts?.extra ?? 0} rows added and ${counts?.changed ?? 0} rows changed since leave ${where}; they stay in ${beforeTable}`,
            },
          ],
        },
  );
  await withPool(poolOn(ctx, production, 1), (pool) =>
    mode === 'merge' ? merge(ctx, pool, sideTable) : replace(ctx, pool, sideTable, beforeTable),
  );
}

async function merge(ctx: Ctx, pool: Pool, sideTable: string): Promise<void> {
  const { schema, table } = ctx.input;
  // Checked again: a trigger may have been added since the plan was approved.
  const deps = await readTableDependencies(pool, schema, table);
  const obstacle = mergeObstacle(deps, schema, table, ctx.input.fireTriggers);
  if (obstacle) throw refused(`${obstacle} Nothing was inserted.`);
  const result = await mergeMissingRows(pool, { schema, table, sideTable, signal: ctx.signal });
  if (result.outcome === 'rolled-back') {
    const reason = abortReason(ctx.signal);
    const why =
      isOpsdeckError(reason) && reason.code === ErrorCode.StepTimeout
        ? 'the step timed out'
        : 'cancelled';
    const how = result.killed
      ? `its INSERT … SELECT was stopped (KILL QUERY on connection ${result.connectionId})`
      : result.uncommittedRows === null
        ? 'before its INSERT started'
        : `after its INSERT (${result.uncommittedRows} rows, not committed)`;
    await ctx.say(
      md`:leftwards_arrow_with_hook: ${why} during the merge: ${how}, and its transaction was rolled back. ${schema}.${table} is as it was before the merge: no row inserted.`,
    );
    await ctx.remember({ applied: 'merge rolled back: nothing inserted' });
    throw reason;
  }
  const after = await compareTables(pool, schema, table, sideTable, 0);
  await ctx.remember({ applied: `inserted ${result.inserted} rows` });
  await ctx.say(
    md`:white_check_mark: merged: inserted ${result.inserted} rows into ${schema}.${table}; rows still missing: ${after.missing.count}; nothing updated or deleted (${after.changed.count} rows differ from the restored copy, ${after.extra.count} rows were added since)`,
  );
}

function addForeignKeySql(key: ForeignKey): string {
  const list = (names: string[]) => names.map(quoteIdentifier).join(', ');
  return `ADD FOREIGN KEY (${list(key.columns)}) REFERENCES ${qualifiedTable(key.referencedSchema, key.referencedTable)} (${list(key.referencedColumns)}) ON DELETE ${ruleSql(key.onDelete)} ON UPDATE ${ruleSql(key.onUpdate)}`;
}

function ruleSql(rule: string): string {
  const known = ['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT'];
  if (!known.includes(rule)) throw refused(`unexpected foreign key rule ${JSON.stringify(rule)}`);
  return rule;
}

async function replace(
  ctx: Ctx,
  pool: Pool,
  sideTable: string,
  beforeTable: string,
): Promise<void> {
  const { schema, table } = ctx.input;
  const swapped =
    (await sideTableExists(pool, schema, beforeTable)) &&
    !(await sideTableExists(pool, schema, sideTable));
  if (swapped) {
    await ctx.say(
      md`the swap was done before the interruption: ${table} is the restored table, the old one is ${beforeTable}`,
    );
    await ctx.remember({ applied: `swapped; old table kept as ${beforeTable}` });
    return;
  }
  const deps = await readTableDependencies(pool, schema, table);
  const obstacle = replaceObstacle(deps, schema, table);
  if (obstacle) throw refused(`${obstacle} Nothing was changed.`);
  if (deps.references.length > 0) {
    const sideDeps = await readTableDependencies(pool, schema, sideTable);
    if (sideDeps.references.length === 0) {
      try {
        await pool.query(
          `ALTER TABLE ${qualifiedTable(schema, sideTable)} ${deps.references.map(addForeignKeySql).join(', ')}`,
        );
      } catch (error) {
        throw refused(
          `the restored rows do not satisfy ${table}'s foreign keys today (${(error as Error).message}), so the swap was not made; production is unchanged. Use --mode merge, or fix the parents and swap \`${sideTable}\` by hand.`,
          error,
        );
      }
      await ctx.say(
        md`added ${table}'s ${deps.references.length} foreign key(s) to \`${sideTable}\` (${deps.references.map((k) => k.name).join(', ')}; the server names the new ones)`,
      );
    }
  }
  // New rows must never take an id of a row created after the restore point (those stay in the
  // old table, and other systems may reference them): the counter goes above production's.
  const raised = await raiseAutoIncrement(pool, schema, table, sideTable);
  await pool.query(
    `RENAME TABLE ${qualifiedTable(schema, table)} TO ${qualifiedTable(schema, beforeTable)}, ${qualifiedTable(schema, sideTable)} TO ${qualifiedTable(schema, table)}`,
  );
  if (raised) {
    // A row written to production between the read and the swap is in the old table now.
    const again = await raiseAutoIncrement(pool, schema, beforeTable, table);
    const final = again ?? raised;
    await ctx.say(
      md`AUTO_INCREMENT of ${schema}.${table} set to ${final.next} (production's counter was ${final.counter}, its highest ${final.column} ${final.max ?? 'none'}): new rows never reuse an id of a row now in ${beforeTable}`,
    );
  }
  const [[count]] = await pool.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM ${qualifiedTable(schema, table)}) AS swapped_in, (SELECT COUNT(*) FROM ${qualifiedTable(schema, beforeTable)}) AS kept`,
  );
  await ctx.remember({ applied: `swapped; old table kept as ${beforeTable}` });
  await ctx.say(
    md`:white_check_mark: swapped: ${schema}.${table} is the restored table (${count!.swapped_in} rows); the table it replaced is kept as ${schema}.${beforeTable} (${count!.kept} rows)`,
  );
}

/**
 * Sets `target`'s AUTO_INCREMENT to the higher of `from`'s counter and MAX(column)+1, read now;
 * null when the table has no AUTO_INCREMENT column. InnoDB never sets it below target's own rows.
 */
async function raiseAutoIncrement(
  pool: Pool,
  schema: string,
  from: string,
  target: string,
): Promise<{ column: string; counter: string; max: string | null; next: string } | null> {
  const shape = await readTableShape(pool, schema, from);
  const column = shape.columns.find((c) => c.autoIncrement)?.name;
  if (column === undefined) return null;
  const [[created]] = await pool.query<RowDataPacket[]>(
    `SHOW CREATE TABLE ${qualifiedTable(schema, from)}`,
  );
  const counter = /\bAUTO_INCREMENT=(\d+)/.exec(String(created!['Create Table']))?.[1] ?? '1';
  const [[top]] = await pool.query<RowDataPacket[]>(
    `SELECT MAX(${quoteIdentifier(column)}) AS max FROM ${qualifiedTable(schema, from)}`,
  );
  const max = top!.max === null ? null : String(top!.max);
  const next = BigInt(max ?? 0) + 1n > BigInt(counter) ? BigInt(max ?? 0) + 1n : BigInt(counter);
  await pool.query(`ALTER TABLE ${qualifiedTable(schema, target)} AUTO_INCREMENT = ${next}`);
  return { column, counter, max, next: String(next) };
}

async function report(ctx: Ctx): Promise<void> {
  const { schema, table, mode } = ctx.input;
  const s = state(ctx);
  const outcome =
    mode === 'side'
      ? `the restored rows are in \`${schema}.${s.sideTable}\` (production's ${table} is unchanged). To take them: \`--mode merge\` inserts the missing rows, \`--mode replace\` swaps the table`
      : (s.applied ?? 'nothing applied');
  await ctx.say(
    md`:white_check_mark: ${schema}.${table} as of ${ctx.input.at}: ${s.verifiedRows ?? 0} rows restored; ${outcome}.`,
  );
}

export default defineRunbook({
  name: 'restore-table',
  input: RestoreTableInput,
  steps: [
    step('check', check),
    step('create-security-group', createGroup, {
      cleanup: removeGroup,
      cleanupName: 'delete-security-group',
    }),
    step('restore-instance', restoreInstance, {
      cleanup: removeInstance,
      cleanupName: 'delete-restored-instance',
      timeoutMs: DAY_MS,
    }),
    step('wait-instance', waitInstance, { timeoutMs: DAY_MS }),
    step('open-network', openNetwork, {
      cleanup: closeWorkerIngress,
      cleanupName: 'revoke-rule',
    }),
    step('copy-table', copy, { timeoutMs: DAY_MS }),
    step('verify', verify, { timeoutMs: DAY_MS }),
    step('apply', apply, {
      when: (input) => input.mode !== 'side',
      // A cancel or timeout stops the merge's INSERT and rolls it back before the cleanups run.
      settleOnAbortMs: ROLLBACK_SETTLE_MS,
    }),
    step('report', report),
  ],
});
