import { z } from 'zod';
import type { DBInstance } from '@aws-sdk/client-rds';
import { describeInstance, endpointOf } from '../src/aws/rds-instance';
import {
  defineCommand,
  reply,
  subcommand,
  type CommandContext,
  type Reply,
  type RunbookPlan,
} from '../src/command/define-command';
import { decimalArgument } from '../src/command/decimal-number';
import { runbookPlan } from '../src/command/runbook-plan';
import { ErrorCode, UsageError, isOpsdeckError } from '../src/errors';
import raiseBinlogRetention from '../jobs/raise-binlog-retention';
import seedSlave from '../jobs/seed-slave';
import { MAX_BINLOG_RETENTION_HOURS, readBinlogSettings } from '../src/mysql/binlog-source';
import { describeChannelTls, readReplicaStatus } from '../src/mysql/replica-status';
import { describeFilters, readReplicationFilters } from '../src/mysql/replication-filters';
import { readServerFlavor } from '../src/mysql/server-flavor';
import { IDENTIFIER_PATTERN } from '../src/mysql/sql-identifier';
import { withPool } from '../src/mysql/with-pool';
import { RDS_TABLES_RULE, skipsRdsTables } from '../src/seed/replica-filter-checks';
import type { SeedSlaveInput } from '../src/seed/seed-input';
import { seedFacts } from '../src/seed/seed-facts';
import { runSeedPreflight, type SeedPreflight } from '../src/seed/seed-preflight';
import { planLines, planOf } from '../src/runbook/plan-of';
import { describeSourceIngress } from '../src/seed/source-ingress-check';
import { code, date, join, md, text, type Mrkdwn } from '../src/slack/mrkdwn';
import { replicaHealthLines } from '../src/replicas/health-text';

/**
 * `/seed-slave`: seed (or rebuild) an external MySQL replica of an RDS master without downtime,
 * and `/seed-slave status` to look at a replica's health. The planner runs the whole preflight
 * (source, binlog retention, replication user, replica, databases) so the approvers see what it
 * found; the work is the `seed-slave` runbook (jobs/seed-slave.ts).
 */

const USAGE =
  '/seed-slave <rds-source> <replica> [--databases a,b] [--retention-hours <1-168>] [--dry-run]';
const STATUS_USAGE = '/seed-slave status <replica>';
const MUTE_USAGE = '/seed-slave mute <replica> [--hours <1-24>]';
const RETENTION_USAGE = `/seed-slave retention <rds-source> [--hours <1-${MAX_BINLOG_RETENTION_HOURS}>]`;
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

const configuredName = (what: string) =>
  z
    .string({ error: `is missing (a ${what} from the config)` })
    .regex(NAME, `must be a ${what} name from the config (a-z, 0-9 and -)`);

const schema = z.strictObject({
  source: configuredName('database'),
  replica: configuredName('replica'),
  databases: z
    .string()
    .transform((text, ctx) => {
      const names = text.split(',').map((name) => name.trim());
      const bad = names.filter((name) => !IDENTIFIER_PATTERN.test(name));
      if (bad.length > 0 || names.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be database names separated by commas, each 1-64 of A-Z a-z 0-9 _ $ (got ${bad.map((b) => JSON.stringify(b)).join(', ') || 'nothing'})`,
        });
        return z.NEVER;
      }
      return [...new Set(names)];
    })
    .optional(),
  /** The most RDS keeps is 168 h. */
  'retention-hours': decimalArgument({ min: 1, max: 168, unit: 'hours' }).optional(),
  'dry-run': z.boolean().default(false),
});

type Parsed = z.infer<typeof schema>;

function checkNames(input: { source?: string; replica: string }, ctx: CommandContext): void {
  const replica = ctx.databases.replica(input.replica);
  if (!replica) {
    const known = ctx.databases.replicaNames();
    throw new UsageError(
      `<replica>: ${input.replica} is not a configured replica (configured: ${known.length > 0 ? known.join(', ') : 'none; see `replicas` in the config'})`,
      input.source === undefined ? STATUS_USAGE : USAGE,
    );
  }
  if (input.source !== undefined && !ctx.databases.target(input.source)) {
    const known = ctx.databases.names();
    throw new UsageError(
      `<rds-source>: ${input.source} is not a configured database (configured: ${known.length > 0 ? known.join(', ') : 'none'})`,
      USAGE,
    );
  }
}

async function plan(input: Parsed, ctx: CommandContext): Promise<RunbookPlan | Reply> {
  checkNames(input, ctx);
  const retentionHours = input['retention-hours'] ?? ctx.config.seedSlave.retentionHours;
  let preflight: SeedPreflight;
  try {
    preflight = await runSeedPreflight(
      { rds: ctx.aws.rds, ec2: ctx.aws.ec2, access: ctx.databases },
      {
        source: input.source,
        replica: input.replica,
        databases: input.databases,
        retentionHours,
      },
      { connectTimeoutMs: 2000 },
    );
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.SeedRefused)
      throw new UsageError(error.message, USAGE, { cause: error });
    throw error;
  }
  const jobInput: SeedSlaveInput = {
    source: input.source,
    replica: input.replica,
    databases: preflight.databases,
    retentionHours,
  };
  const summary = md`seed ${input.replica} from ${input.source} (${preflight.databases.join(', ')}) without downtime`;
  const facts = seedFacts(preflight);
  const findings = preflight.findings.map((line) => text(line));
  if (input['dry-run']) {
    return reply(
      join(
        [
          md`:mag: Dry run of ${code(`/seed-slave ${input.source} ${input.replica}`)}: nothing was changed or queued.`,
          md`*Preflight*`,
          ...findings.map((line) => md`• ${line}`),
          md`*Plan*: ${summary}`,
          ...planLines(planOf(seedSlave, jobInput, facts)),
        ],
        '\n',
      ),
    );
  }
  return runbookPlan(seedSlave, jobInput, facts, { summary, findings });
}

/**
 * `/seed-slave retention`: what the source keeps now, and the runbook that raises it (nothing to
 * run when it keeps that long already).
 */
async function retention(
  input: { source: string; hours: number },
  ctx: CommandContext,
): Promise<RunbookPlan | Reply> {
  const target = ctx.databases.target(input.source);
  if (!target) {
    const known = ctx.databases.names();
    throw new UsageError(
      `<rds-source>: ${input.source} is not a configured database (configured: ${known.length > 0 ? known.join(', ') : 'none'})`,
      RETENTION_USAGE,
    );
  }
  const instance = await describeInstance(ctx.aws.rds, target.instance);
  if (!instance)
    throw new UsageError(
      `RDS has no instance ${target.instance} (database ${input.source})`,
      RETENTION_USAGE,
    );
  const pool = ctx.databases.openPool(input.source, endpointOf(instance), {
    connections: 1,
    connectTimeoutMs: 2000,
  });
  const binlog = await withPool(pool, readBinlogSettings);
  if (!binlog.retentionKnown)
    throw new UsageError(
      `${input.source} has no mysql.rds_show_configuration: it is not RDS for MySQL; its binlog expiry is set in its own configuration (binlog_expire_logs_seconds)`,
      RETENTION_USAGE,
    );
  const current = binlog.retentionHours;
  if (current !== null && current >= input.hours)
    return reply(
      md`:white_check_mark: binlog retention on ${input.source} is ${current} h already (at least the ${input.hours} h asked for): nothing to do.`,
    );
  const facts = {
    sourceInstance: target.instance,
    retention: { current, raise: true },
  };
  return runbookPlan(
    raiseBinlogRetention,
    { source: input.source, retentionHours: input.hours },
    facts,
    {
      summary: md`raise binlog retention on ${input.source} from ${current ?? 'NULL'} to ${input.hours} h`,
    },
  );
}

async function status(input: { replica: string }, ctx: CommandContext): Promise<Reply> {
  checkNames(input, ctx);
  const replicaConfig = ctx.databases.replica(input.replica)!;
  // The health the replica watch alerts on: the same probe, the same thresholds.
  const health = await ctx.replicas.check(input.replica);
  const lines: Mrkdwn[] = [
    md`*${input.replica}* (${replicaConfig.host}:${replicaConfig.port})`,
    ...replicaHealthLines(health),
  ];
  const more: string[] = [];
  // The channel and filters need the replica; the check already said when it cannot be reached.
  if (health.replication !== null) more.push(...(await channelAndFilters(input.replica, ctx)));
  more.push(...(await sourceFacts(replicaConfig.source, input.replica, ctx)));
  // The lines are the bot's own words about what the servers and AWS said: shown as text.
  return reply(join([...lines, ...more.map((line) => text(line))], '\n'));
}

/** The replication channel's TLS and the replica's filters. */
async function channelAndFilters(replica: string, ctx: CommandContext): Promise<string[]> {
  const more: string[] = [];
  const pool = ctx.databases.openReplicaPool(replica, {
    connections: 1,
    connectTimeoutMs: 2000,
  });
  try {
    await withPool(pool, async () => {
      const flavor = await readServerFlavor(pool);
      const replicaStatus = await readReplicaStatus(pool, flavor);
      const channel = replicaStatus && describeChannelTls(replicaStatus.channelTls);
      if (channel) more.push(`${channel.encrypted ? ':lock:' : ':warning:'} ${channel.text}`);
      const filters = await readReplicationFilters(pool, flavor);
      more.push(
        `filters: ${describeFilters(filters)}${skipsRdsTables(filters) ? '' : ` :warning: RDS's own mysql.rds_* tables are not skipped: add replicate-wild-ignore-table=${RDS_TABLES_RULE} (\`/seed-slave\` adds it at runtime; my.cnf keeps it)`}`,
      );
    });
  } catch (error) {
    more.push(`:x: cannot read its replication channel and filters: ${(error as Error).message}`);
  }
  return more;
}

/** The source's binlog retention, and whether its security groups admit the replica. */
async function sourceFacts(
  source: string,
  replica: string,
  ctx: CommandContext,
): Promise<string[]> {
  const target = ctx.databases.target(source)!;
  let instance: DBInstance | undefined;
  try {
    instance = await describeInstance(ctx.aws.rds, target.instance);
  } catch (error) {
    return [`source ${source}: cannot describe ${target.instance}: ${(error as Error).message}`];
  }
  if (!instance) return [`source ${source}: RDS has no instance ${target.instance}`];
  const replicaHost = ctx.databases.replica(replica)!.host;
  return [
    await sourceRetention(source, instance, ctx),
    await describeSourceIngress(ctx.aws.ec2, instance, { source, replica, replicaHost }),
  ];
}

async function sourceRetention(
  source: string,
  instance: DBInstance,
  ctx: CommandContext,
): Promise<string> {
  try {
    const pool = ctx.databases.openPool(source, endpointOf(instance), {
      connections: 1,
      connectTimeoutMs: 2000,
    });
    const binlog = await withPool(pool, readBinlogSettings);
    const retention =
      binlog.retentionHours === null
        ? ':warning: NULL: binlogs are purged as soon as they are backed up, so a replica that disconnects for a while cannot catch up (`/seed-slave` raises it)'
        : `${binlog.retentionHours} h`;
    return `source ${source} (${instance.DBInstanceIdentifier}): binary log ${binlog.logBin ? 'on' : ':x: off'}, retention ${retention}`;
  } catch (error) {
    return `source ${source}: cannot read its binlog retention: ${(error as Error).message}`;
  }
}

export default defineCommand({
  name: 'seed-slave',
  summary: 'seed or rebuild an external MySQL replica of an RDS master, without master downtime',
  defaultSubcommand: 'seed-slave',
  subcommands: [
    subcommand({
      name: 'seed-slave',
      usage: USAGE,
      summary:
        'raise binlog retention, take a consistent copy from a temporary read replica, load it into the replica and start it at the matching coordinates; --dry-run only checks and shows the plan',
      positionals: ['source', 'replica'],
      options: {
        databases: { type: 'string' },
        'retention-hours': { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
      schema,
      target: (input) => input.replica,
      plan,
    }),
    subcommand({
      name: 'mute',
      usage: MUTE_USAGE,
      summary:
        "mute a replica's new alerts for a while (4 h by default; the alert's Mute button): open incidents still update their threads, an incident still open when the mute ends is posted then",
      positionals: ['replica'],
      options: { hours: { type: 'string' } },
      schema: z.strictObject({
        replica: configuredName('replica'),
        hours: decimalArgument({ min: 1, max: 24, unit: 'hours' }).default(4),
      }),
      target: (input) => input.replica,
      plan: (input, ctx) => {
        checkNames(input, ctx);
        return {
          kind: 'action',
          summary: `mute ${input.replica}'s alerts for ${input.hours} h`,
          run: async () => {
            const until = Date.now() + input.hours * 3_600_000;
            const by = { id: ctx.requester.userId, name: ctx.requester.userName };
            await ctx.replicas.mute(input.replica, { by, until });
            return reply(
              md`:mute: ${input.replica}'s new alerts are muted until ${date(until)} (by ${by.name}, audited). Open incidents still update their threads; one still open when the mute ends is posted then.`,
            );
          },
        };
      },
    }),
    subcommand({
      name: 'retention',
      usage: RETENTION_USAGE,
      summary: `raise an RDS source's binlog retention (at most ${MAX_BINLOG_RETENTION_HOURS} h, the default), so a stopped or lagging replica can still catch up (the replica watch's Raise retention button)`,
      positionals: ['source'],
      options: { hours: { type: 'string' } },
      schema: z.strictObject({
        source: configuredName('database'),
        hours: decimalArgument({ min: 1, max: MAX_BINLOG_RETENTION_HOURS, unit: 'hours' }).default(
          MAX_BINLOG_RETENTION_HOURS,
        ),
      }),
      target: (input) => input.source,
      plan: retention,
    }),
    subcommand({
      name: 'status',
      usage: STATUS_USAGE,
      summary:
        "a replica's health as the replica watch sees it: threads, lag, last errors, read_only, its source's binlog retention and the margin before it purges what the replica needs (error 1236: reseed)",
      positionals: ['replica'],
      schema: z.strictObject({ replica: configuredName('replica') }),
      readOnly: true,
      target: (input) => input.replica,
      plan: status,
    }),
  ],
});
