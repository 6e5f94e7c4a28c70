import { z } from 'zod';
import {
  defineCommand,
  reply,
  subcommand,
  type Action,
  type CommandContext,
  type Reply,
  type RunbookPlan,
} from '../src/command/define-command';
import { decimalArgument } from '../src/command/decimal-number';
import { deployEnvironment, deployName, isPipelineTarget } from '../src/config/deploy';
import { environmentRefProblem } from '../src/config/deploy-ref';
import type { DeployHistory, DeployRecord } from '../src/deploy/deploy-history';
import { DeployRef, type DeployInput } from '../src/deploy/deploy-input';
import { describeLock, holderOf, type DeployLock } from '../src/deploy/deploy-lock';
import type { DeployServices } from '../src/deploy/deploy-services';
import { deployFacts } from '../src/deploy/deploy-plan';
import { pipelineName } from '../src/deploy/pipeline-run';
import { describeTransition } from '../src/deploy/deploy-transition';
import { resolveDeployHosts } from '../src/deploy/deploy-targets';
import { runbookPlan } from '../src/command/runbook-plan';
import { ErrorCode, UsageError, isOpsdeckError } from '../src/errors';
import { planLines, planOf } from '../src/runbook/plan-of';
import deploy from '../jobs/deploy';
import { formatDuration } from '../src/util/duration';
import { code, codeBlock, date, join, md, type Mrkdwn } from '../src/slack/mrkdwn';

/**
 * `/deploy <app> <env> [<ref>]`: the configured command on the app's hosts of that environment,
 * announced in the alert channel (jobs/deploy.ts). The planner resolves the hosts and renders
 * every host's command, so the approvers (rules per environment: the target is `<app>/<env>`)
 * and `--dry-run` see exactly what will run. Also: `status`, `history`, `output`, `lock`,
 * `unlock`.
 */

const USAGE = '/deploy <app> <env> [<ref>] [--queue] [--dry-run] [--emergency "<reason>"]';
const ROLLBACK_USAGE =
  '/deploy rollback <app> <env> [--to <ref>] [--queue] [--dry-run] [--emergency "<reason>"]';
const STATUS_USAGE = '/deploy status [<app> [<env>]]';
const HISTORY_USAGE = '/deploy history <app> <env>';
const OUTPUT_USAGE = '/deploy output <job-id> <host>';
const LOCK_USAGE = '/deploy lock <app> <env> <reason> [--hours <1-168>]';
const UNLOCK_USAGE = '/deploy unlock <app> <env> [--force]';

const app = z.string({ error: 'is missing' }).pipe(deployName);
const env = z.string({ error: 'is missing' }).pipe(deployName);
const target = (input: { app: string; env: string }) => `${input.app}/${input.env}`;
/** Hosts listed in a reply before "and N more". */
const LISTED_HOSTS = 20;
/** A kept output shown in Slack: its end, this long at most. */
const OUTPUT_CHARS = 3500;

function services(ctx: CommandContext, usage: string): DeployServices {
  if (!ctx.deploys || !ctx.config.deploy)
    throw new UsageError(
      'deploys are not configured here (no `deploy` section in the config)',
      usage,
    );
  return ctx.deploys;
}

/** The app's environment from the config, or a usage error naming what is configured. */
function environmentOf(ctx: CommandContext, input: { app: string; env: string }, usage: string) {
  try {
    return deployEnvironment(ctx.config.deploy, input.app, input.env);
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.DeployTargetUnknown)
      throw new UsageError(error.message, usage, { cause: error });
    throw error;
  }
}

/**
 * `--emergency "<reason>"`: go ahead without the approval (BREAK_GLASS in
 * src/approvals/access-policy.ts), and past a promotion gate; free text, shown escaped.
 */
const emergency = z
  .string()
  .transform((reason) => reason.trim())
  .pipe(
    z
      .string()
      .min(
        1,
        'needs a reason, in quotes: --emergency "checkout is down, the fix cannot wait" (the approvers read it when they review)',
      )
      .max(500),
  )
  .optional();

const listHosts = (hosts: readonly string[]) =>
  hosts.length > LISTED_HOSTS
    ? `${hosts.slice(0, LISTED_HOSTS).join(', ')} and ${hosts.length - LISTED_HOSTS} more`
    : hosts.join(', ');

const deploySchema = z.strictObject({
  app,
  env,
  ref: DeployRef.optional(),
  queue: z.boolean().default(false),
  'dry-run': z.boolean().default(false),
  emergency,
});

async function planDeploy(
  input: z.infer<typeof deploySchema>,
  ctx: CommandContext,
): Promise<RunbookPlan | Reply> {
  const { history } = services(ctx, USAGE);
  const settings = environmentOf(ctx, input, USAGE);
  const ref = input.ref ?? settings.defaultRef;
  if (ref === undefined)
    throw new UsageError(
      `<ref> is missing, and ${target(input)} has no defaultRef in the config`,
      USAGE,
    );
  const refRefused = environmentRefProblem(ref, settings);
  if (refRefused) throw new UsageError(`<ref>: ${refRefused}`, USAGE);
  const missing = await ungatedIn(history, input, ref, settings.requireSucceededIn);
  const gate = `${ref} has not succeeded in ${missing.join(', ')}; ${target(input)} takes a ref only once it succeeded in ${settings.requireSucceededIn.join(', ')} (requireSucceededIn)`;
  // An emergency goes past a promotion gate, and says so (announcement, audit, history).
  if (missing.length > 0 && input.emergency === undefined)
    throw new UsageError(`<ref>: ${gate}`, USAGE);
  return planRun(
    ctx,
    {
      ...input,
      ref,
      kind: 'deploy',
      queue: input.queue,
      dryRun: input['dry-run'],
      overrides: missing.length > 0 ? [`the promotion gate: ${gate}`] : [],
    },
    USAGE,
  );
}

/** A deploy or rollback of app+env at `ref` (checked): its plan, or its dry run. */
async function planRun(
  ctx: CommandContext,
  input: Pick<DeployInput, 'app' | 'env' | 'ref' | 'kind' | 'queue'> & {
    dryRun: boolean;
    /** The declared emergency's reason, and the checks it goes past. */
    emergency?: string | undefined;
    overrides?: string[];
  },
  usage: string,
): Promise<RunbookPlan | Reply> {
  const { locks, history, waiting } = services(ctx, usage);
  const settings = environmentOf(ctx, input, usage);
  const { ref, kind } = input;
  const held = await locks.get(input.app, input.env);
  // Deploys waiting in line go first: between one deploy's end and the next one's start the
  // lock is free for a moment, and a deploy that did not queue must not take it from them.
  const line = input.queue || input.dryRun ? [] : await waiting.line(input.app, input.env);
  if (line.length > 0)
    return reply(
      md`:hourglass_flowing_sand: not deployed: ${line.length} deploy${line.length === 1 ? ' waits' : 's wait'} in line for ${target(input)} (${line.map((w) => w.jobId).join(', ')}). Ask again with ${code('--queue')} to join the line.`,
    );
  if (held && !input.dryRun && !input.queue)
    return reply(
      md`:lock: not deployed: ${describeLock(held)}. ${unlockHint(held)} Or ask again with ${code('--queue')} to wait in line for it.`,
    );
  let hosts: string[];
  try {
    hosts = (await resolveDeployHosts(ctx.aws.ec2, settings.targets)).map((h) => h.host);
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.DeployNoHosts)
      return reply(md`:warning: not deployed: ${error.message}.`);
    throw error;
  }
  const jobInput: DeployInput = {
    kind,
    queue: input.queue,
    app: input.app,
    env: input.env,
    ref,
    hosts,
    pre: settings.pre !== undefined,
    post: settings.post !== undefined,
    ...(input.emergency !== undefined && {
      emergency: { reason: input.emergency, overrides: input.overrides ?? [] },
    }),
    ...(isPipelineTarget(settings.targets) && {
      pipeline: 'codebuild' in settings.targets ? 'codebuild' : 'codepipeline',
    }),
  };
  const transition = describeTransition(
    hosts,
    await history.refsOnHosts(input.app, input.env, hosts),
    ref,
  );
  const facts = deployFacts(settings, jobInput, transition);
  const count = isPipelineTarget(settings.targets)
    ? pipelineName(settings.targets)
    : `${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
  const summary = md`${input.emergency === undefined ? '' : ':rotating_light: EMERGENCY: '}${
    kind === 'rollback'
      ? md`roll back ${input.app} on ${input.env} to ${ref} (${count})`
      : md`deploy ${input.app} ${ref} to ${input.env} (${count})`
  }`;
  if (input.dryRun) {
    const typed =
      kind === 'rollback'
        ? `/deploy rollback ${input.app} ${input.env} --to ${ref}`
        : `/deploy ${input.app} ${input.env} ${ref}`;
    return reply(
      join(
        [
          md`:mag: Dry run of ${code(typed)}: nothing was run or queued.`,
          ...(held ? [md`:lock: now: ${describeLock(held)}`] : []),
          ...(input.overrides ?? []).map((text) => md`:warning: the emergency overrides ${text}`),
          facts.pipeline
            ? md`*Starts*: ${facts.pipeline}`
            : md`*Hosts* (${hosts.length}): ${listHosts(hosts)}`,
          md`*Rollout*: ${facts.rollout}`,
          ...(facts.pre ? [md`*Once before*: ${code(facts.pre)}`] : []),
          ...(facts.pipeline ? [] : [md`*Per host*:`]),
          ...facts.commands.slice(0, LISTED_HOSTS).map((command) => md`• ${code(command)}`),
          ...(facts.commands.length > LISTED_HOSTS
            ? [md`…and ${facts.commands.length - LISTED_HOSTS} more alike`]
            : []),
          ...(facts.post ? [md`*Once after*: ${code(facts.post)}`] : []),
          md`*Plan*: ${summary}`,
          ...planLines(planOf(deploy, jobInput, facts)),
        ],
        '\n',
      ),
    );
  }
  return runbookPlan(deploy, jobInput, facts, {
    summary,
    overrides: (input.overrides ?? []).map((text) => md`${text}`),
    findings: [
      ...(held ? [md`:hourglass_flowing_sand: waits in line: ${describeLock(held)}`] : []),
      facts.pipeline ? md`starts: ${facts.pipeline}` : md`hosts: ${listHosts(hosts)}`,
      md`rollout: ${facts.rollout}`,
    ],
  });
}

/** Promotion gates: the required environments where `ref` has not succeeded (yet). */
async function ungatedIn(
  history: DeployHistory,
  input: { app: string; env: string },
  ref: string,
  required: readonly string[],
): Promise<string[]> {
  const succeeded = await history.succeededIn(input.app, required, ref);
  return required.filter((env) => !succeeded.includes(env));
}

const rollbackSchema = z.strictObject({
  app,
  env,
  to: DeployRef.optional(),
  queue: z.boolean().default(false),
  'dry-run': z.boolean().default(false),
  emergency,
});

/**
 * `/deploy rollback <app> <env> [--to <ref>]`: a deploy of the ref that succeeded there before the
 * current one (or of `--to`, which must have succeeded there), planned, authorized and approved
 * as a deploy of app/env (authorizeAs), marked as a rollback in the thread and the history.
 * Promotion gates are not asked again: the ref passed them when it succeeded there.
 */
async function planRollback(
  input: z.infer<typeof rollbackSchema>,
  ctx: CommandContext,
): Promise<RunbookPlan | Reply> {
  const { history } = services(ctx, ROLLBACK_USAGE);
  environmentOf(ctx, input, ROLLBACK_USAGE);
  const { current, previous } = await history.previousRef(input.app, input.env);
  if (current === undefined)
    throw new UsageError(
      `nothing to roll back: ${target(input)} has no deploy that succeeded`,
      ROLLBACK_USAGE,
    );
  let ref: string;
  if (input.to !== undefined) {
    if ((await history.succeededIn(input.app, [input.env], input.to)).length === 0)
      throw new UsageError(
        `--to: ${input.to} never succeeded on ${target(input)}; a rollback goes back to a ref that did`,
        ROLLBACK_USAGE,
      );
    ref = input.to;
  } else {
    if (previous === undefined)
      throw new UsageError(
        `nothing to roll back to: ${current} is the only ref that succeeded on ${target(input)}`,
        ROLLBACK_USAGE,
      );
    ref = previous;
  }
  return planRun(
    ctx,
    {
      app: input.app,
      env: input.env,
      ref,
      kind: 'rollback',
      queue: input.queue,
      dryRun: input['dry-run'],
      emergency: input.emergency,
    },
    ROLLBACK_USAGE,
  );
}

function unlockHint(lock: DeployLock): Mrkdwn {
  return lock.kind === 'deploy'
    ? md`Wait for it, or cancel it: ${code(`/ops cancel ${lock.jobId}`)}.`
    : md`Ask ${lock.actor.name} or wait until it expires; ${code(`/deploy unlock ${lock.app} ${lock.env} --force`)} overrides it (audited).`;
}

const statusSchema = z.strictObject({ app: app.optional(), env: env.optional() });

async function status(input: z.infer<typeof statusSchema>, ctx: CommandContext): Promise<Reply> {
  const { history, locks, waiting } = services(ctx, STATUS_USAGE);
  if (input.app !== undefined && input.env !== undefined)
    environmentOf(ctx, input as { app: string; env: string }, STATUS_USAGE);
  const filter = {
    ...(input.app !== undefined && { app: input.app }),
    ...(input.env !== undefined && { env: input.env }),
  };
  const [current, allLocks] = await Promise.all([history.current(filter), locks.list()]);
  const held = allLocks.filter(
    (lock) =>
      (input.app === undefined || lock.app === input.app) &&
      (input.env === undefined || lock.env === input.env),
  );
  const scope =
    input.app === undefined ? 'every app' : target({ app: input.app, env: input.env ?? '*' });
  const lines = [md`*Deployed now* (${scope}):`];
  if (current.length === 0) lines.push(md`nothing deployed yet`);
  for (const record of current)
    lines.push(
      md`• *${record.app}/${record.env}*: ${code(record.ref)} by ${record.actor.name}, ${date(record.finishedAt ?? record.startedAt)} (${record.hostsOk.length}/${record.hostsTotal} hosts)`,
    );
  for (const lock of held) {
    lines.push(md`:lock: ${describeLock(lock)}`);
    const line = await waiting.line(lock.app, lock.env);
    if (line.length > 0)
      lines.push(
        md`:hourglass_flowing_sand: waiting in line for ${target(lock)}: ${line.map((w) => w.jobId).join(', ')}`,
      );
  }
  return reply(join(lines, '\n'));
}

const historySchema = z.strictObject({ app, env });

async function showHistory(
  input: z.infer<typeof historySchema>,
  ctx: CommandContext,
): Promise<Reply> {
  const { history } = services(ctx, HISTORY_USAGE);
  environmentOf(ctx, input, HISTORY_USAGE);
  const records = await history.last(input.app, input.env, 10);
  if (records.length === 0) return reply(md`No deploys of ${target(input)} yet.`);
  return reply(
    join([md`*Last deploys of ${target(input)}*:`, ...records.map(describeRecord)], '\n'),
  );
}

const OUTCOME_EMOJI = {
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

function describeRecord(record: DeployRecord): Mrkdwn {
  const outcome = record.outcome
    ? `${OUTCOME_EMOJI[record.outcome]} ${record.outcome}`
    : ':hourglass_flowing_sand: running';
  const took =
    record.finishedAt === null ? '' : ` in ${formatDuration(record.finishedAt - record.startedAt)}`;
  const hosts =
    record.outcome === null
      ? `${record.hostsTotal} hosts`
      : `${record.hostsOk.length} ok, ${record.hostsFailed.length} failed, ${record.hostsNotRun.length} not run`;
  const rollback = record.kind === 'rollback' ? md`:rewind: rollback to ` : md``;
  const emergency = record.emergency
    ? md`
    :rotating_light: *emergency* without approval: ${record.emergency.reason}${join(record.emergency.overrides.map((text) => md`; overrode ${text}`))}`
    : md``;
  return md`• ${date(record.startedAt)} ${rollback}${code(record.ref)} by ${record.actor.name}: ${outcome}${took} (${hosts}) — job ${code(record.jobId)}${emergency}`;
}

const outputSchema = z.strictObject({
  job: z
    .string({ error: 'is missing' })
    .regex(/^deploy-[0-9a-f]{10}$/, 'must be a deploy job id (deploy-…)'),
  host: z.string({ error: 'is missing' }).min(1).max(255),
});

async function showOutput(
  input: z.infer<typeof outputSchema>,
  ctx: CommandContext,
): Promise<Reply> {
  const { history } = services(ctx, OUTPUT_USAGE);
  const kept = await history.hostOutput(input.job, input.host);
  if (!kept) return reply(md`No output of ${input.host} kept for job \`${input.job}\`.`);
  const text = kept.output.toString('utf8');
  const shown = text.length > OUTPUT_CHARS ? `…${text.slice(-OUTPUT_CHARS)}` : text;
  const ended = kept.ok
    ? 'ok'
    : kept.signal
      ? `killed by ${kept.signal}`
      : `exit code ${kept.exitCode}`;
  const capped = kept.outputTruncated ? ' (kept up to the cap)' : '';
  const last = text.length > OUTPUT_CHARS ? `; the last ${OUTPUT_CHARS} characters:` : ':';
  return reply(
    md`*${input.host}* in ${code(input.job)}: ${ended} after ${formatDuration(kept.durationMs)}, ${kept.outputBytes} bytes of output${capped}${last}
${codeBlock(shown || '(no output)')}`,
  );
}

const lockSchema = z.strictObject({
  app,
  env,
  reason: z
    .array(z.string())
    .transform((words) => words.join(' ').trim())
    .pipe(z.string().min(1, 'is missing (say why, for the others)').max(200)),
  hours: decimalArgument({ min: 1, max: 168, unit: 'hours' }).default(4),
});

function planLock(input: z.infer<typeof lockSchema>, ctx: CommandContext): Action {
  const { locks } = services(ctx, LOCK_USAGE);
  environmentOf(ctx, input, LOCK_USAGE);
  const actor = { id: ctx.requester.userId, name: ctx.requester.userName };
  return {
    kind: 'action',
    summary: `lock ${target(input)} for ${input.hours} h: ${input.reason}`,
    async run() {
      const result = await locks.lockManually(input.app, input.env, {
        actor,
        reason: input.reason,
        ttlMs: input.hours * 3600_000,
      });
      if (!result.acquired)
        return reply(
          md`:lock: not locked: ${describeLock(result.heldBy)}. ${unlockHint(result.heldBy)}`,
        );
      return reply(
        md`:lock: ${result.alreadyHeld ? 'still locked' : 'locked'} ${target(input)} until ${date(result.lock.expiresAt!)}: no deploy runs there until you \`/deploy unlock ${input.app} ${input.env}\` or it expires.`,
      );
    },
  };
}

const unlockSchema = z.strictObject({ app, env, force: z.boolean().default(false) });

function planUnlock(input: z.infer<typeof unlockSchema>, ctx: CommandContext): Action {
  const { locks } = services(ctx, UNLOCK_USAGE);
  environmentOf(ctx, input, UNLOCK_USAGE);
  return {
    kind: 'action',
    summary: `unlock ${target(input)}${input.force ? ' (forced)' : ''}`,
    async run() {
      const held = await locks.get(input.app, input.env);
      if (!held) return reply(md`${target(input)} is not locked.`);
      if (held.kind === 'deploy')
        return reply(md`:lock: ${describeLock(held)}. ${unlockHint(held)}`);
      const mine = held.holder === holderOf({ actorId: ctx.requester.userId });
      if (!mine && !input.force)
        return reply(md`:lock: ${describeLock(held)}. ${unlockHint(held)}`);
      const result = mine
        ? await locks.release(input.app, input.env, held.holder)
        : { released: (await locks.forceRelease(input.app, input.env)) !== null };
      return reply(
        result.released
          ? md`:unlock: unlocked ${target(input)}${mine ? '' : ` (the lock was ${held.actor.name}'s: ${JSON.stringify(held.reason)})`}`
          : md`${target(input)} was unlocked meanwhile.`,
      );
    },
  };
}

export default defineCommand({
  name: 'deploy',
  summary: 'deploy an app to an environment across its hosts, announced in the alert channel',
  defaultSubcommand: 'deploy',
  subcommands: [
    subcommand({
      name: 'deploy',
      usage: USAGE,
      summary:
        'run the environment\'s deploy command on each of its hosts (in parallel, up to its concurrency); --queue waits in line for the lock instead of being refused; --dry-run shows the hosts and the exact commands; --emergency "<reason>" (breakGlass members) goes ahead without approval and past promotion gates, announced to the approvers, who review it',
      positionals: ['app', 'env', 'ref'],
      options: {
        queue: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        emergency: { type: 'string' },
      },
      freeText: ['emergency'],
      schema: deploySchema,
      target,
      emergency: (input) => input.emergency,
      plan: planDeploy,
    }),
    subcommand({
      name: 'rollback',
      usage: ROLLBACK_USAGE,
      summary:
        'deploy again the ref that succeeded before the current one (or --to one that succeeded there): the same plan, access rules and approvals as a deploy',
      positionals: ['app', 'env'],
      options: {
        to: { type: 'string' },
        queue: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        emergency: { type: 'string' },
      },
      freeText: ['emergency'],
      schema: rollbackSchema,
      authorizeAs: 'deploy',
      target,
      emergency: (input) => input.emergency,
      plan: planRollback,
    }),
    subcommand({
      name: 'status',
      usage: STATUS_USAGE,
      summary: 'what is deployed where now, and the locks',
      positionals: ['app', 'env'],
      schema: statusSchema,
      readOnly: true,
      plan: status,
    }),
    subcommand({
      name: 'history',
      usage: HISTORY_USAGE,
      summary: 'the last deploys of an app to an environment',
      positionals: ['app', 'env'],
      schema: historySchema,
      readOnly: true,
      target,
      plan: showHistory,
    }),
    subcommand({
      name: 'output',
      usage: OUTPUT_USAGE,
      summary: "a host's kept output of a deploy (its end)",
      positionals: ['job', 'host'],
      schema: outputSchema,
      readOnly: true,
      job: { id: (input) => input.job, access: 'read' },
      plan: showOutput,
    }),
    subcommand({
      name: 'lock',
      usage: LOCK_USAGE,
      summary: 'keep deploys off an app+environment for a while (default 4 h), saying why',
      positionals: ['app', 'env', 'reason...'],
      freeText: ['reason'],
      options: { hours: { type: 'string' } },
      schema: lockSchema,
      target,
      plan: planLock,
    }),
    subcommand({
      name: 'unlock',
      usage: UNLOCK_USAGE,
      summary: "release your lock; --force releases someone else's (audited)",
      positionals: ['app', 'env'],
      options: { force: { type: 'boolean' } },
      schema: unlockSchema,
      target,
      plan: planUnlock,
    }),
  ],
});
