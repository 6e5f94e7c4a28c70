import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCommand, type CommandTemplate } from '../src/config/command-template';
import { deployEnvironment, type DeployEnvironment } from '../src/config/deploy';
import { DeployInput } from '../src/deploy/deploy-input';
import { holderOf, lockedError } from '../src/deploy/deploy-lock';
import { whileLockHeld } from '../src/deploy/lock-keeper';
import { must } from '../src/runbook/recorded-state';
import type { DeployServices } from '../src/deploy/deploy-services';
import { runHost, type HostResult } from '../src/deploy/host-runner';
import { runningCommand, stopLeftRunning, type RunningCommand } from '../src/deploy/left-running';
import { runRollout, type RolloutReport } from '../src/deploy/rollout-scheduler';
import { CancelledError, ErrorCode, OpsdeckError } from '../src/errors';
import { BatchedSay } from '../src/runbook/batched-say';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { formatDuration } from '../src/util/duration';
import { md } from '../src/slack/mrkdwn';

/**
 * `/deploy <app> <env> [<ref>]`: the configured command on every planned host, `concurrency` at a
 * time, announced in the alert channel. The app+env is locked for the whole job (a second deploy
 * is refused with who holds it); the history records the start, every host's result and full
 * output, and the end. Each host's result is checkpointed as it ends, so a job resumed after a
 * worker died runs only the hosts that had not finished. Once `failureThreshold` hosts have
 * failed, no new host starts; a cancel stops scheduling, signals the running commands (SIGTERM,
 * SIGKILL after a grace period) and reports which hosts ran and which did not.
 */
type Ctx = StepContext<DeployInput>;

const DAY_MS = 24 * 3600_000;
/** A failed host's output in its thread reply: the end of it, this long at most. */
const TAIL_CHARS = 1500;
/** Kept with the job per host (the rest is counted, not kept). */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const KILL_GRACE_MS = 10_000;
/** A cancelled step waits this long for its commands to stop and their results to be told. */
const SETTLE_MS = KILL_GRACE_MS + 5000;

/** A host's result as checkpointed (the output lives in the history, not in the checkpoint). */
interface HostOutcomeState {
  host: string;
  ok: boolean;
  cancelled: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  error?: string;
}

interface DeployState {
  lockTaken?: boolean;
  startedAt?: number;
  preDone?: boolean;
  results?: HostOutcomeState[];
  /** Commands started and not yet finished, by host: a resumed job stops those left running. */
  running?: Record<string, RunningCommand>;
  report?: { ok: string[]; failed: string[]; notRun: string[] };
  postDone?: boolean;
  finishRecorded?: boolean;
}

const state = (ctx: Ctx) => ctx.state as DeployState;
const environment = (ctx: Ctx): DeployEnvironment =>
  deployEnvironment(ctx.services.config.deploy, ctx.input.app, ctx.input.env);
const where = (ctx: Ctx) => `${ctx.input.app}/${ctx.input.env}`;

function deploys(ctx: Ctx): DeployServices {
  const services = ctx.services.deploys;
  if (!services)
    throw new OpsdeckError(ErrorCode.DeployTargetUnknown, 'this worker has no `deploy` config');
  return services;
}

const lockTtlMs = (ctx: Ctx): number =>
  Math.round(must(ctx.services.config.deploy, 'the deploy config').lockTtlSeconds * 1000);

/**
 * A step that runs under the lock: the lock is checked first (a job resumed after its worker
 * died may find it expired: it locks again, or fails if another deploy took it meanwhile), then
 * renewed while the step runs; a lock lost mid-step stops the step (see whileLockHeld).
 */
function underLock(run: (ctx: Ctx) => Promise<void>): (ctx: Ctx) => Promise<void> {
  return async (ctx) => {
    const ttlMs = lockTtlMs(ctx);
    const result = await deploys(ctx).locks.acquireForDeploy(ctx.input.app, ctx.input.env, {
      jobId: ctx.meta.jobId,
      actor: { id: ctx.meta.actor.id, name: ctx.meta.actor.name ?? ctx.meta.actor.id },
      reason: `deploying ${ctx.input.ref}`,
      ttlMs,
    });
    if (!result.acquired) throw lockedError(result.heldBy);
    if (!result.alreadyHeld)
      await ctx.say(
        md`:warning: the lock of ${where(ctx)} had expired (no worker ran this deploy for over ${formatDuration(ttlMs)}); locked again`,
      );
    const lock = {
      app: ctx.input.app,
      env: ctx.input.env,
      holder: holderOf({ jobId: ctx.meta.jobId }),
      ttlMs,
    };
    await whileLockHeld(deploys(ctx).locks, lock, ctx.signal, (signal) => run({ ...ctx, signal }));
  };
}

async function lock(ctx: Ctx): Promise<void> {
  const result = await deploys(ctx).locks.acquireForDeploy(ctx.input.app, ctx.input.env, {
    jobId: ctx.meta.jobId,
    actor: { id: ctx.meta.actor.id, name: ctx.meta.actor.name ?? ctx.meta.actor.id },
    reason: `deploying ${ctx.input.ref}`,
    ttlMs: lockTtlMs(ctx),
  });
  if (!result.acquired) throw lockedError(result.heldBy);
  await ctx.remember({ lockTaken: true });
  await ctx.say(
    result.alreadyHeld
      ? md`:lock: ${where(ctx)} is still locked by this deploy`
      : md`:lock: locked ${where(ctx)} for this deploy`,
  );
}

async function releaseLock(ctx: Ctx): Promise<void> {
  if (!state(ctx).lockTaken) return;
  const released = await deploys(ctx).locks.release(
    ctx.input.app,
    ctx.input.env,
    holderOf({ jobId: ctx.meta.jobId }),
  );
  await ctx.say(
    released.released
      ? md`:unlock: unlocked ${where(ctx)}`
      : md`:warning: ${where(ctx)} was no longer locked by this deploy`,
  );
}

async function announce(ctx: Ctx): Promise<void> {
  const { app, env, ref, hosts } = ctx.input;
  const startedAt = state(ctx).startedAt ?? Date.now();
  await ctx.remember({ startedAt });
  await deploys(ctx).history.recordStart({
    jobId: ctx.meta.jobId,
    app,
    env,
    ref,
    actor: { id: ctx.meta.actor.id, name: ctx.meta.actor.name ?? ctx.meta.actor.id },
    startedAt,
    hostsTotal: hosts.length,
  });
  const settings = environment(ctx);
  await ctx.say(
    md`:rocket: deploying *${app}* to *${env}* at \`${ref}\`, requested by ${ctx.meta.actor.name ?? ctx.meta.actor.id}: ${hosts.length} host${hosts.length === 1 ? '' : 's'} (${hosts.join(', ')}), ${settings.concurrency} at a time, stopping after ${settings.failureThreshold} failed`,
  );
}

/** Every deploy removes hosts' kept output past retention (a batch: a backlog goes over several). */
async function pruneOldOutput(ctx: Ctx): Promise<void> {
  const days = ctx.services.config.deploy!.outputRetentionDays;
  const removed = await deploys(ctx).history.pruneHostOutput(Date.now() - days * DAY_MS);
  if (removed > 0) ctx.log.info({ removed, days }, "deleted hosts' output past retention");
}

/**
 * However the job ends: the history's end of the deploy if the job did not get to `finish`
 * (failed, cancelled), and this worker's output files of the job gone (each is kept in the
 * history as its command ends; one left here is from a command stopped by the cancel).
 */
async function recordUnfinished(ctx: Ctx): Promise<void> {
  await rm(jobOutputDir(ctx), { recursive: true, force: true });
  const s = state(ctx);
  if (s.finishRecorded || s.startedAt === undefined) return;
  const cancelledBy = await ctx.services.cancels.requestedBy(ctx.meta.jobId);
  const report = s.report ?? summarise(ctx.input.hosts, s.results ?? []);
  await deploys(ctx).history.recordFinish(ctx.meta.jobId, {
    finishedAt: Date.now(),
    outcome: cancelledBy ? 'cancelled' : 'failed',
    hostsOk: report.ok,
    hostsFailed: report.failed,
    hostsNotRun: report.notRun,
  });
}

function summarise(hosts: readonly string[], results: readonly HostOutcomeState[]) {
  const byHost = new Map(results.map((r) => [r.host, r]));
  const ok = hosts.filter((h) => byHost.get(h)?.ok === true);
  const failed = hosts.filter((h) => {
    const r = byHost.get(h);
    return r !== undefined && !r.ok && !r.cancelled;
  });
  const notRun = hosts.filter((h) => !ok.includes(h) && !failed.includes(h));
  return { ok, failed, notRun };
}

/** Runs `pre` or `post` once: the job fails if it does. */
async function runOnce(ctx: Ctx, name: 'pre' | 'post', template: CommandTemplate): Promise<void> {
  const env = environment(ctx);
  const { argv, display } = renderCommand(template, {
    app: ctx.input.app,
    env: ctx.input.env,
    ref: ctx.input.ref,
  });
  await ctx.say(md`running the ${name} command: \`${display}\``);
  const result = await runHost({
    host: name,
    argv,
    timeoutMs: env.hostTimeoutSeconds * 1000,
    signal: ctx.signal,
    outputFile: outputFile(ctx, `_${name}`),
    maxOutputBytes: MAX_OUTPUT_BYTES,
    killGraceMs: KILL_GRACE_MS,
  });
  await keepOutput(ctx, result);
  if (!result.ok)
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `the ${name} command ${describeFailure(result)}${tailBlock(result.tail)}`,
    );
  await ctx.say(
    md`:white_check_mark: the ${name} command succeeded in ${formatDuration(result.durationMs)}`,
  );
}

/** The planned pre or post command, which the config must still have. */
function onceTemplate(ctx: Ctx, which: 'pre' | 'post'): CommandTemplate {
  const template = environment(ctx)[which];
  if (!template)
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `the plan has a ${which} command, but ${where(ctx)} has none in the config any more`,
    );
  return template;
}

async function pre(ctx: Ctx): Promise<void> {
  if (state(ctx).preDone) return;
  await runOnce(ctx, 'pre', onceTemplate(ctx, 'pre'));
  await ctx.remember({ preDone: true });
}

async function post(ctx: Ctx): Promise<void> {
  if (state(ctx).postDone) return;
  await runOnce(ctx, 'post', onceTemplate(ctx, 'post'));
  await ctx.remember({ postDone: true });
}

const jobOutputDir = (ctx: Ctx) => join(ctx.services.config.deploy!.outputDir, ctx.meta.jobId);

function outputFile(ctx: Ctx, name: string): string {
  return join(jobOutputDir(ctx), `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

/** Keeps the host's full output (up to the cap) in the history, beside the deploy. */
async function keepOutput(ctx: Ctx, result: HostResult): Promise<void> {
  const output = await readFile(result.outputFile).catch(() => Buffer.alloc(0));
  await deploys(ctx).history.recordHostOutput(ctx.meta.jobId, {
    host: result.host,
    ok: result.ok,
    exitCode: result.exitCode,
    signal: result.signal,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    outputBytes: result.outputBytes,
    outputTruncated: result.outputTruncated,
    output,
  });
  // Kept with the deploy now: the worker's disk only held it while the command ran.
  await rm(result.outputFile, { force: true });
}

function describeFailure(result: HostResult | HostOutcomeState): string {
  if (result.cancelled) return 'was stopped by the cancel';
  if (result.timedOut) return `timed out after ${formatDuration(result.durationMs)}`;
  if (result.error) return `did not start: ${result.error}`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `failed with exit code ${result.exitCode}`;
}

function tailBlock(tail: string): string {
  const text = tail.trim();
  if (text === '') return ' (no output)';
  const cut = text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text;
  return `\n\`\`\`\n${cut.replace(/```/g, "'''")}\n\`\`\``;
}

async function rollout(ctx: Ctx): Promise<void> {
  const env = environment(ctx);
  const { app, ref, hosts } = ctx.input;
  let results = [...(state(ctx).results ?? [])];
  if (results.length > 0)
    await ctx.say(
      md`resuming: ${results.length} of ${hosts.length} hosts had finished (${results.map((r) => r.host).join(', ')}); not again`,
    );
  await stopCommandsLeftRunning(ctx);
  // Hosts that succeeded are told together, once per progress interval: a line per host would
  // keep the thread (paced at about a message a second) far behind the rollout.
  const done = new BatchedSay(
    (text) => ctx.say(text),
    ctx.services.config.runbook.progressIntervalMs,
  );
  let running: Record<string, RunningCommand> = {};
  // Checkpoints in the order they were asked for, each before the host's slot goes on.
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(() => ctx.remember({ results, running }));
    return saving;
  };
  const report: RolloutReport<HostOutcomeState> = await runRollout<HostOutcomeState>({
    hosts,
    concurrency: env.concurrency,
    ...(env.batchPauseSeconds !== undefined && { batchPauseMs: env.batchPauseSeconds * 1000 }),
    failureThreshold: env.failureThreshold,
    previous: results,
    signal: ctx.signal,
    runHost: async (host, signal) => {
      const { argv } = renderCommand(env.command, { host, ref, app, env: ctx.input.env });
      const result = await runHost({
        host,
        argv,
        timeoutMs: env.hostTimeoutSeconds * 1000,
        signal,
        outputFile: outputFile(ctx, host),
        maxOutputBytes: MAX_OUTPUT_BYTES,
        killGraceMs: KILL_GRACE_MS,
        onSpawn: (processGroup) => {
          running = { ...running, [host]: runningCommand(processGroup, argv[0]!) };
          return save();
        },
      });
      await keepOutput(ctx, result);
      if (result.ok)
        await done.add(md`:white_check_mark: ${host} done in ${formatDuration(result.durationMs)}`);
      else {
        await done.flush();
        await ctx.say(
          md`:x: ${host} ${describeFailure(result)}${result.cancelled ? '' : tailBlock(result.tail)}\nFull output: \`/deploy output ${ctx.meta.jobId} ${host}\``,
        );
      }
      return {
        host,
        ok: result.ok,
        cancelled: result.cancelled,
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        ...(result.error !== undefined && { error: result.error }),
      };
    },
    onHostFinished: async (result, progress) => {
      results = [...results.filter((r) => r.host !== result.host), result];
      running = Object.fromEntries(
        Object.entries(running).filter(([host]) => host !== result.host),
      );
      await save();
      ctx.progress(progress.done, progress.total, 'hosts');
    },
  });
  await done.flush();
  const summary = summarise(hosts, report.results);
  await ctx.remember({ report: summary });
  const counts = `${summary.ok.length} ok, ${summary.failed.length} failed, ${summary.notRun.length} not run${summary.notRun.length ? ` (${summary.notRun.join(', ')})` : ''}`;
  if (report.stoppedBy === 'cancelled') {
    await ctx.say(
      md`:no_entry_sign: cancelled: ${counts}; ran: ${report.ran.join(', ') || 'none'}`,
    );
    throw new CancelledError('cancelled during the rollout');
  }
  if (report.stoppedBy === 'failure-threshold' || summary.failed.length > 0)
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `${summary.failed.length} host${summary.failed.length === 1 ? '' : 's'} failed (${summary.failed.join(', ')})${report.stoppedBy === 'failure-threshold' ? `: the failure threshold (${env.failureThreshold}) stopped the rollout` : ''}; ${counts}`,
    );
  await ctx.say(md`all ${hosts.length} hosts deployed: ${counts}`);
}

/**
 * A worker that died left its hosts' commands running (their own process groups outlive it):
 * stop them before their hosts run again, so no host is deployed twice at the same time.
 */
async function stopCommandsLeftRunning(ctx: Ctx): Promise<void> {
  const left = Object.entries(state(ctx).running ?? {});
  for (const [host, command] of left) {
    const outcome = await stopLeftRunning(command, KILL_GRACE_MS);
    const what = md`${host}'s command from before the interruption (process group ${command.processGroup})`;
    await ctx.say(
      {
        stopped: md`:warning: stopped ${what}; ${host} runs again`,
        killed: md`:warning: killed ${what} (it ignored SIGTERM); ${host} runs again`,
        'already-gone': md`${what} had ended; ${host} runs again`,
        'pid-reused': md`${what} had ended (its process id is someone else's now); ${host} runs again`,
        'other-machine': md`:warning: ${what} ran on ${command.machine}, which this worker cannot reach: it may still be running there while ${host} runs again`,
      }[outcome],
    );
  }
  if (left.length > 0) await ctx.remember({ running: {} });
}

async function finish(ctx: Ctx): Promise<void> {
  await pruneOldOutput(ctx);
  const s = state(ctx);
  const report = s.report ?? summarise(ctx.input.hosts, s.results ?? []);
  await deploys(ctx).history.recordFinish(ctx.meta.jobId, {
    finishedAt: Date.now(),
    outcome: 'succeeded',
    hostsOk: report.ok,
    hostsFailed: report.failed,
    hostsNotRun: report.notRun,
  });
  await ctx.remember({ finishRecorded: true });
  const took = s.startedAt === undefined ? '' : ` in ${formatDuration(Date.now() - s.startedAt)}`;
  await ctx.say(
    md`:white_check_mark: *${ctx.input.app}* \`${ctx.input.ref}\` is on *${ctx.input.env}*${took}: ${report.ok.length}/${ctx.input.hosts.length} hosts ok`,
  );
}

export default defineRunbook({
  name: 'deploy',
  input: DeployInput,
  steps: [
    step('lock', lock, { cleanup: releaseLock, cleanupName: 'unlock' }),
    step('announce', underLock(announce), {
      cleanup: recordUnfinished,
      cleanupName: 'record-outcome',
    }),
    step('pre', underLock(pre), {
      timeoutMs: DAY_MS,
      settleOnAbortMs: SETTLE_MS,
      when: (i) => i.pre,
    }),
    step('rollout', underLock(rollout), { timeoutMs: 7 * DAY_MS, settleOnAbortMs: SETTLE_MS }),
    step('post', underLock(post), {
      timeoutMs: DAY_MS,
      settleOnAbortMs: SETTLE_MS,
      when: (i) => i.post,
    }),
    step('finish', underLock(finish)),
  ],
});
