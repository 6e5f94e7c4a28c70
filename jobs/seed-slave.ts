import type { Pool } from 'mysql2/promise';
import { startReadReplica } from '../src/aws/temporary-instance';
import {
  temporaryInstanceSteps,
  type TemporaryInstanceRequest,
  type TemporaryInstanceState,
} from '../src/temporary-instance/temporary-instance-steps';
import { ErrorCode, OpsdeckError } from '../src/errors';
import { formatCoordinates, type BinlogCoordinates } from '../src/mysql/binlog-coordinates';
import { watchCatchUp } from '../src/mysql/catch-up-watch';
import {
  copyDatabases,
  verifyDatabases,
  type DatabasesCheckpoint,
} from '../src/mysql/copy-databases';
import type { MysqlEndpoint } from '../src/mysql/database-access';
import { describeStopped } from '../src/mysql/stop-statements';
import { withPool } from '../src/mysql/with-pool';
import type { TableContentSums } from '../src/mysql/verify-databases';
import {
  pointReplicaAt,
  startReplica,
  stopRdsReplica,
  stopReplica,
} from '../src/mysql/replica-control';
import {
  describeChannelTls,
  describeReplicaHealth,
  readReplicaStatus,
  type ReplicaStatus,
} from '../src/mysql/replica-status';
import { readReplicationFilters, setWildIgnoreTables } from '../src/mysql/replication-filters';
import { readServerFlavor, type ServerFlavor } from '../src/mysql/server-flavor';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { abortWords } from '../src/runbook/retry-policy';
import { describeRaiseRetention, raiseBinlogRetention } from '../src/seed/binlog-retention';
import { checksumsAsTablesFinish } from '../src/seed/early-checksums';
import { channelWords, type SeedFacts } from '../src/seed/seed-facts';
import { SeedSlaveInput } from '../src/seed/seed-input';
import { RDS_TABLES_RULE, skipsRdsTables } from '../src/seed/replica-filter-checks';
import { runSeedPreflight, seedRefused } from '../src/seed/seed-preflight';
import { DAY_MS, formatDuration } from '../src/util/duration';
import { md } from '../src/slack/mrkdwn';

/**
 * How long a cancelled copy may take to stop: KILL QUERY, then the server undoes the rows the
 * statements had written (about as long as writing them took).
 */
const STOP_SETTLE_MS = 30 * 60_000;

/**
 * `/seed-slave`: seed or rebuild an external replica of an RDS master without downtime (see
 * ../shared/runbooks.md). Binlog retention is raised first, so the coordinates stay readable on
 * the master for as long as the copy and the catch-up take. A temporary read replica (name
 * recorded before the call, tagged with the job) is stopped with mysql.rds_stop_replication: its
 * data is then still and matches exactly the master coordinates it executed up to
 * (Relay_Master_Log_File / Exec_Master_Log_Pos, not what it had read). Those are posted and
 * recorded; the external replica's own status is recorded before it is touched; the databases are
 * copied from the still replica (never the master: it is never locked) in parallel, verified, and
 * the replica is pointed at the master at those coordinates and watched until it has caught up.
 * The temporary replica is in a security group of the job's own, where the workers' rule goes;
 * the replica, the rule and the group go however the job ends.
 */
export default defineRunbook<SeedSlaveInput, SeedState, SeedFacts>({
  name: 'seed-slave',
  input: SeedSlaveInput,
  steps: [
    step('check', check, {
      describe: () => md`check everything again (the preflight above)`,
    }),
    step('raise-retention', (ctx) => raiseBinlogRetention(ctx, ctx.state.source), {
      needs: ['source'],
      describe: (input, facts) => describeRaiseRetention(input, facts),
    }),
    temporaryInstanceSteps({
      purpose: 'seed-slave',
      kind: 'seed',
      noun: 'temporary read replica',
      names: {
        create: 'create-replica',
        wait: 'wait-replica',
        deleteInstance: 'delete-read-replica',
      },
      database: (input) => input.source,
      settings: (config) => config.seedSlave,
      create: createReplica,
      describeCreate: (_input, facts) =>
        md`create a temporary read replica of ${facts.sourceInstance} in it, tagged with the job (private, no deletion protection)`,
      refused: (message) => seedRefused(message),
    }),
    step('read-coordinates', readCoordinates, {
      needs: ['instanceName', 'instanceEndpoint'],
      describe: () =>
        md`stop its replication (CALL mysql.rds_stop_replication) and read the source coordinates its data matches (Relay_Master_Log_File / Exec_Master_Log_Pos); post them and record them in the audit trail`,
    }),
    step('stop-replica', stopExternalReplica, {
      describe: ({ replica }, facts) =>
        md`on ${replica}: record its replication status in the audit trail, then stop its replication${facts.replicaSkipsRdsTables ? '' : ` and add replicate-wild-ignore-table=${RDS_TABLES_RULE}`}`,
      irreversible: true,
      cleanup: {
        name: 'check-replica-left',
        run: warnIfLeftStopped,
        describe: ({ replica, source }) =>
          md`if ${replica} was stopped and not pointed at ${source} again, say so and how to seed it again`,
      },
    }),
    step('copy-databases', copy, {
      needs: ['instanceEndpoint'],
      describe: ({ replica, databases }) =>
        md`drop and load again ${databases.join(', ')} on ${replica} from the temporary replica: tables in parallel, then views, routines, triggers, events`,
      irreversible: true,
      timeoutMs: DAY_MS,
      // A cancel or timeout stops the copy's statements before the cleanups run.
      settleOnAbortMs: STOP_SETTLE_MS,
    }),
    step('verify', verify, {
      needs: ['instanceEndpoint'],
      describe: ({ replica }) =>
        md`verify every table's rows and checksum on ${replica}, and its views, routines, triggers and events`,
      timeoutMs: DAY_MS,
    }),
    step('start-replication', startReplication, {
      needs: ['coordinates', 'source'],
      describe: ({ replica, source }, { sourceEndpoint, channelTls }) =>
        md`point ${replica} at ${source} (${sourceEndpoint.host}:${sourceEndpoint.port}) at those coordinates over ${channelWords(channelTls)} and start it`,
    }),
    step('catch-up', catchUp, {
      needs: ['source'],
      describe: () => md`watch both threads and the lag until it has caught up`,
      timeoutMs: 8 * DAY_MS,
    }),
    step('report', report, {
      describe: ({ source }) => md`report the seed: ${source} is never locked or restarted`,
    }),
  ],
});

interface SeedState extends TemporaryInstanceState {
  source: MysqlEndpoint;
  /** The replication account's plugin on the source (for GET_SOURCE_PUBLIC_KEY without TLS). */
  authPlugin?: string;
  coordinates: BinlogCoordinates;
  /** The external replica's status as found, recorded before anything changed there. */
  replicaBefore: boolean;
  copy: DatabasesCheckpoint;
  /** Both sides' checksums of the tables whose copy had finished, by `database.table`. */
  contentSums: Record<string, TableContentSums>;
  copiedRows: number;
  verifiedTables: number;
  /** Set before CHANGE MASTER TO: a resumed step must not point it back once it replicates. */
  pointRequested: boolean;
  caughtUp: { executed: BinlogCoordinates; secondsBehind: number | null };
}

type Ctx<K extends keyof SeedState = never> = StepContext<SeedSlaveInput, SeedState, K>;

const limits = (ctx: Ctx) => ctx.services.config.seedSlave;

const sourcePool = (ctx: Ctx, endpoint: MysqlEndpoint, connections = 1) =>
  ctx.services.databases.openPool(ctx.input.source, endpoint, { connections });
const replicaPool = (ctx: Ctx, connections = 1) =>
  ctx.services.databases.openReplicaPool(ctx.input.replica, { connections });

async function check(ctx: Ctx): Promise<void> {
  const { input } = ctx;
  const preflight = await runSeedPreflight(
    { rds: ctx.services.aws.rds, ec2: ctx.services.aws.ec2, access: ctx.services.databases },
    input,
    { connectTimeoutMs: 10_000, ...(ctx.signal && { signal: ctx.signal }) },
  );
  const changed = input.databases.filter((db) => !preflight.databases.includes(db));
  if (changed.length > 0)
    throw seedRefused(`${changed.join(', ')} no longer exist on ${input.source}`);
  await ctx.remember({
    source: preflight.sourceEndpoint,
    ...(preflight.replicationAuthPlugin !== undefined && {
      authPlugin: preflight.replicationAuthPlugin,
    }),
  });
  await ctx.say(md`preflight:\n${preflight.findings.map((line) => `• ${line}`).join('\n')}`);
}

async function createReplica(
  ctx: Ctx<'instanceName'>,
  request: TemporaryInstanceRequest,
): Promise<void> {
  const { created } = await startReadReplica(
    ctx.services.aws.rds,
    { ...request, instanceClass: limits(ctx).instanceClass },
    ctx.signal,
  );
  await ctx.say(
    created
      ? md`creating the temporary read replica \`${request.name}\` of ${request.source.DBInstanceIdentifier!}`
      : md`\`${request.name}\` was already being created by this job; not again`,
  );
}

/** Stops the temporary replica and reads the source coordinates its data matches. */
async function readCoordinates(ctx: Ctx<'instanceName' | 'instanceEndpoint'>): Promise<void> {
  const { instanceName: name, instanceEndpoint } = ctx.state;
  if (ctx.state.coordinates) return;
  await withPool(sourcePool(ctx, instanceEndpoint), async (pool) => {
    const status = await stopRdsReplica(pool, name);
    const coordinates = { file: status.executed.file, pos: status.executed.pos };
    await ctx.remember({ coordinates });
    await ctx.record('source coordinates', {
      temporaryReplica: name,
      file: coordinates.file,
      pos: coordinates.pos,
      read: status.read,
    });
    await ctx.say(
      md`:round_pushpin: \`${name}\` stopped; its data matches ${ctx.input.source} at *${formatCoordinates(coordinates)}* (executed: Relay_Master_Log_File / Exec_Master_Log_Pos; it had read up to ${formatCoordinates(status.read)})`,
    );
  });
}

function describeStatus(status: ReplicaStatus | null): Record<string, unknown> {
  if (status === null) return { replica: false };
  return {
    sourceHost: status.sourceHost,
    sourcePort: status.sourcePort,
    io: status.ioRunning,
    sql: status.sqlRunning,
    read: status.read,
    executed: status.executed,
    secondsBehind: status.secondsBehind,
    lastIoErrno: status.lastIoErrno,
    lastIoError: status.lastIoError,
    lastSqlErrno: status.lastSqlErrno,
    lastSqlError: status.lastSqlError,
  };
}

/** A replica's status in the words `/seed-slave status` uses, its errors included. */
function describeFound(status: ReplicaStatus): string {
  const health = describeReplicaHealth(status);
  return health.error ? `${health.summary}; ${health.error}` : health.summary;
}

/** Records the external replica's status as found, then stops its replication. */
async function stopExternalReplica(ctx: Ctx): Promise<void> {
  const { replica } = ctx.input;
  await withPool(replicaPool(ctx), async (pool) => {
    const flavor = await readServerFlavor(pool);
    const status = await readReplicaStatus(pool);
    if (!ctx.state.replicaBefore) {
      await ctx.record('replica status before the seed', {
        replica,
        server: flavor.text,
        ...describeStatus(status),
      });
      await ctx.remember({ replicaBefore: true });
      await ctx.say(
        status === null
          ? md`${replica} was not replicating (recorded)`
          : md`${replica} as found (recorded): ${describeFound(status)}`,
      );
    }
    if (status !== null) {
      await stopReplica(pool, flavor);
      await ctx.say(md`stopped replication on ${replica}`);
    }
    await skipRdsTables(ctx, pool, flavor);
  });
}

/**
 * Adds replicate-wild-ignore-table=mysql.rds\_% to a replica whose filters let RDS's own tables
 * through (see replica-filter-checks.ts); replication is stopped here, as the change requires.
 */
async function skipRdsTables(ctx: Ctx, pool: Pool, flavor: ServerFlavor): Promise<void> {
  const filters = await readReplicationFilters(pool, flavor);
  if (skipsRdsTables(filters)) return;
  const rules = [...filters.wildIgnoreTable, RDS_TABLES_RULE];
  await setWildIgnoreTables(pool, flavor, rules);
  await ctx.record('replica filter added', {
    replica: ctx.input.replica,
    before: filters.wildIgnoreTable,
    after: rules,
  });
  await ctx.say(
    md`:warning: added replicate-wild-ignore-table=${RDS_TABLES_RULE} on ${ctx.input.replica} (RDS's own tables, which it lacks, would stop its SQL thread with error 1146). *Add it to its my.cnf too*: a restart forgets it`,
  );
}

/**
 * However the job ends: a replica that was stopped (and maybe partly loaded) but never pointed at
 * the source again is left as it is (its old data may be gone); the thread says so, and how to
 * go on.
 */
async function warnIfLeftStopped(ctx: Ctx): Promise<void> {
  const s = ctx.state;
  if (!s.replicaBefore || s.pointRequested) return;
  const { replica, source } = ctx.input;
  const copied = s.copy ? 'partly loaded' : 'not loaded yet';
  await ctx.say(
    md`:warning: ${replica} is left stopped and ${copied}: it does not replicate. Its status before the seed is in the audit trail (\`replica status before the seed\`). Run \`/seed-slave ${source} ${replica}\` again to seed it.`,
  );
}

async function copy(ctx: Ctx<'instanceEndpoint'>): Promise<void> {
  const { parallelism } = limits(ctx);
  const resume = ctx.state.copy;
  if (resume) await ctx.say(md`resuming the copy from its last checkpoint`);
  await withPool(
    // One connection more on each side for the checksums of the tables already copied.
    sourcePool(ctx, ctx.state.instanceEndpoint, parallelism + 2),
    (source) =>
      withPool(replicaPool(ctx, parallelism + 2), async (destination) => {
        let saving = Promise.resolve();
        const save = (values: Partial<SeedState>) => {
          saving = saving.then(() => ctx.remember(values));
          return saving;
        };
        const sums = checksumsAsTablesFinish({
          source,
          destination,
          taken: ctx.state.contentSums ?? {},
          signal: ctx.signal,
          save: (contentSums) => save({ contentSums }),
          failed: (table, error) =>
            ctx.log.warn({ err: error, table }, 'early checksum failed; verify reads it'),
        });
        let killed: readonly number[] = [];
        const result = await copyDatabases({
          source,
          destination,
          databases: ctx.input.databases,
          parallelism,
          ...(resume && { resume }),
          signal: ctx.signal,
          onStopped: (threads) => {
            killed = threads;
          },
          onProgress: (p) => ctx.progress(p.rows, p.estimatedRows, 'rows'),
          onCheckpoint: (checkpoint) => {
            sums.tablesFinished(checkpoint);
            return save({ copy: checkpoint });
          },
        }).catch(async (error: unknown) => {
          if (ctx.signal.aborted)
            await ctx.say(
              md`:leftwards_arrow_with_hook: ${abortWords(ctx.signal)} during the copy: ${describeStopped(killed)}; no statement of the copy runs any more on ${ctx.input.replica}.`,
            );
          throw error;
        });
        await sums.done();
        await saving;
        await ctx.remember({ copiedRows: result.rows });
        await ctx.say(
          md`loaded ${ctx.input.databases.join(', ')} into ${ctx.input.replica}: ${result.tables.length} tables, ${result.rows.toLocaleString('en-US')} rows, ${result.views} views, ${result.routines} routines, ${result.triggers} triggers, ${result.events} events in ${formatDuration(result.durationMs)} (${parallelism} connections)`,
        );
      }),
  );
}

async function verify(ctx: Ctx<'instanceEndpoint'>): Promise<void> {
  const { parallelism } = limits(ctx);
  await withPool(sourcePool(ctx, ctx.state.instanceEndpoint, parallelism), (source) =>
    withPool(replicaPool(ctx, parallelism), async (destination) => {
      const contentSums = ctx.state.contentSums ?? {};
      const result = await verifyDatabases(source, destination, ctx.input.databases, {
        parallelism,
        signal: ctx.signal,
        contentSums,
      });
      if (!result.equal)
        throw new OpsdeckError(
          ErrorCode.StepFailed,
          `${ctx.input.replica} does not match the temporary replica: ${result.differences.slice(0, 5).join('; ')}; replication was not started`,
        );
      await ctx.remember({ verifiedTables: result.tables.length });
      await ctx.say(
        md`:white_check_mark: verified: ${result.tables.length} tables on ${ctx.input.replica} have the temporary replica's rows and checksums (${Object.keys(contentSums).length} checksummed as their copy finished); views, routines, triggers and events match`,
      );
    }),
  );
}

async function startReplication(ctx: Ctx<'coordinates' | 'source'>): Promise<void> {
  const s = ctx.state;
  const { coordinates, source } = s;
  await withPool(replicaPool(ctx), async (pool) => {
    const flavor = await readServerFlavor(pool);
    const status = await readReplicaStatus(pool);
    const pointedHere =
      s.pointRequested === true &&
      status !== null &&
      status.sourceHost === source.host &&
      status.sourcePort === source.port;
    if (!pointedHere) {
      if (status !== null && status.sqlRunning === 'Yes') await stopReplica(pool, flavor);
      await ctx.remember({ pointRequested: true });
      const tls = ctx.services.databases.replicationChannelTls(ctx.input.replica);
      await pointReplicaAt(
        pool,
        flavor,
        { host: source.host, port: source.port, file: coordinates.file, pos: coordinates.pos },
        ctx.services.databases.replicationCredentials(ctx.input.replica),
        { tls, ...(s.authPlugin !== undefined && { authPlugin: s.authPlugin }) },
      );
      await ctx.say(
        md`pointed ${ctx.input.replica} at ${source.host}:${source.port} from ${formatCoordinates(coordinates)} as ${ctx.services.databases.replica(ctx.input.replica)!.replicationUser}, TLS ${tls.mode}${tls.caFile ? md` (CA ${tls.caFile} on the replica)` : ''}`,
      );
    }
    await startReplica(pool, flavor);
    const started = await readReplicaStatus(pool, flavor);
    await ctx.say(
      md`started replication on ${ctx.input.replica}${started ? md`; ${describeChannelTls(started.channelTls).text}` : ''}`,
    );
  });
}

async function catchUp(ctx: Ctx<'source'>): Promise<void> {
  const { catchUpMinutes, pollSeconds } = limits(ctx);
  const { source } = ctx.state;
  await withPool(sourcePool(ctx, source), (sourceDb) =>
    withPool(replicaPool(ctx), async (replica) => {
      const flavor = await readServerFlavor(replica);
      const result = await watchCatchUp({
        replica,
        source: sourceDb,
        flavor,
        pollMs: pollSeconds * 1000,
        maxWaitMs: catchUpMinutes * 60_000,
        signal: ctx.signal,
        onProgress: (p) => {
          if (p.bytes === null) ctx.progress(p.percent, 100, '% of the binlog applied');
          else if (p.bytes.total > 0)
            ctx.progress(p.bytes.applied, p.bytes.total, 'binlog bytes applied');
        },
      });
      const { executed, secondsBehind } = result.status;
      await ctx.remember({ caughtUp: { executed, secondsBehind } });
      await ctx.record('replica caught up', {
        replica: ctx.input.replica,
        executed,
        target: result.target,
        secondsBehind,
      });
      await ctx.say(
        md`:white_check_mark: ${ctx.input.replica} has caught up after ${formatDuration(result.elapsedMs)}: IO and SQL threads running, executed ${formatCoordinates(executed)} (the source was at ${formatCoordinates(result.target)} when the watch began), ${secondsBehind ?? '?'} s behind`,
      );
    }),
  );
}

async function report(ctx: Ctx): Promise<void> {
  const s = ctx.state;
  await ctx.say(
    md`:white_check_mark: ${ctx.input.replica} is a replica of ${ctx.input.source} again: ${ctx.input.databases.join(', ')} seeded (${(s.copiedRows ?? 0).toLocaleString('en-US')} rows, ${s.verifiedTables ?? 0} tables verified), replicating from ${s.coordinates ? formatCoordinates(s.coordinates) : '?'}; binlog retention ${ctx.input.retentionHours} h. Check it any time with \`/seed-slave status ${ctx.input.replica}\`.`,
  );
}
