import { join } from 'node:path';
import { renderCommand, type CommandTemplate } from '../src/config/command-template';
import {
  canaryCount,
  deployEnvironment,
  hostCommand,
  isPipelineTarget,
  type DeployEnvironment,
} from '../src/config/deploy';
import {
  SETTLE_ON_CANCEL_MS,
  KILL_GRACE_MS,
  removeJobOutput,
  runDeployCommand,
} from '../src/deploy/deploy-command-run';
import { DeployInput } from '../src/deploy/deploy-input';
import { describeLock, holderOf, lockedError, type AcquireResult } from '../src/deploy/deploy-lock';
import type { DeployFacts } from '../src/deploy/deploy-plan';
import type { DeployServices } from '../src/deploy/deploy-services';
import { describeTransition } from '../src/deploy/deploy-transition';
import {
  describeFailure,
  hostOutcome,
  summariseHosts,
  tailBlock,
  type DeploySummary,
  type HostOutcome,
} from '../src/deploy/host-outcome';
import { runningCommand, stopLeftRunning, type RunningCommand } from '../src/deploy/left-running';
import { whileLockHeld } from '../src/deploy/lock-keeper';
import { runRollout } from '../src/deploy/rollout-scheduler';
import { CancelledError, ErrorCode, OpsdeckError } from '../src/errors';
import { BatchedSay } from '../src/runbook/batched-say';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { DAY_MS, formatDuration } from '../src/util/duration';
import { sleep, sleepUnlessAborted } from '../src/util/sleep';
import { checkHealth } from '../src/deploy/health-check';
import type { PipelineRun, PipelineStep } from '../src/deploy/pipeline-run';
import { pipelineRun } from '../src/deploy/pipeline-start';
import { code, join as joinMrkdwn, link, md } from '../src/slack/mrkdwn';
import { abortWords } from '../src/runbook/retry-policy';

/**
 * `/deploy <app> <env> [<ref>]`: the configured command on every planned host, `concurrency` at a
 * time, announced in the alert channel. The app+env is locked for the whole job (a second deploy
 * is refused with who holds it); the history records the start, every host's result and full
 * output, and the end. Each host's result is checkpointed as it ends, so a job resumed after a
 * worker died runs only the hosts that had not finished. Once `failureThreshold` hosts have
 * failed, no new host starts; a cancel stops scheduling, signals the running commands (SIGTERM,
 * SIGKILL after a grace period) and reports which hosts ran and which did not.
 */
export default defineRunbook<DeployInput, DeployState, DeployFacts>({
  name: 'deploy',
  // 2: the lock step may wait in line (--queue); the rollout runs a canary and health checks and
  // may roll back (an approval of revision 1 did not see those). 3: a pipeline target starts and
  // follows its pipeline instead of the rollout.
  revision: 3,
  input: DeployInput,
  steps: [
    step('lock', lock, {
      describe: ({ app, env, queue }) =>
        queue
          ? md`wait in line for the lock of ${app}/${env} (in the order asked; its place is posted here), then lock it, renewed while the deploy runs`
          : md`lock ${app}/${env}, renewed while the deploy runs (a second deploy is refused until this one ends)`,
      // A queued deploy waits for the deploys ahead of it.
      timeoutMs: 7 * DAY_MS,
      cleanup: {
        name: 'unlock',
        run: releaseLock,
        describe: ({ app, env }) => md`unlock ${app}/${env}`,
      },
    }),
    step('announce', underLock(announce), {
      describe: ({ hosts, kind, pipeline }, facts) =>
        md`announce the ${kind === 'rollback' ? 'rollback' : 'deploy'} ${pipeline ? md`by ${hosts[0]!}` : md`of ${hosts.length} host${hosts.length === 1 ? '' : 's'}`} (${facts.transition}) in the alert channel; the history records its start${kind === 'rollback' ? ' as a rollback' : ''}`,
      cleanup: {
        name: 'record-outcome',
        run: recordUnfinished,
        describe: () =>
          md`a deploy that did not finish is recorded in the history as failed or cancelled, with the hosts ok, failed and not run`,
      },
    }),
    step('pre', underLock(pre), {
      when: (input) => input.pre,
      describe: (_input, facts) => md`once: ${code(facts.pre ?? 'the pre command')}`,
      irreversible: true,
      timeoutMs: DAY_MS,
      settleOnAbortMs: SETTLE_ON_CANCEL_MS,
    }),
    step('pipeline', underLock(runPipeline), {
      when: (input) => input.pipeline !== undefined,
      describe: (input, facts) =>
        md`${facts.pipeline ?? 'start the pipeline'}, and follow it until it ends (each ${input.pipeline === 'codebuild' ? 'phase' : 'stage'} posted with its status and duration; a worker that died follows the same run again)`,
      irreversible: true,
      timeoutMs: 7 * DAY_MS,
      settleOnAbortMs: SETTLE_ON_CANCEL_MS,
      cleanup: {
        name: 'stop-pipeline',
        run: stopPipelineLeftRunning,
        describe: () => md`a run this deploy started and did not see end is stopped`,
      },
    }),
    step('rollout', underLock(rollout), {
      when: (input) => input.pipeline === undefined,
      describe: ({ hosts }, facts) =>
        md`on each host: ${code(facts.commands[0] ?? '')}${hosts.length > 1 ? ' (and alike)' : ''}`,
      irreversible: true,
      timeoutMs: 7 * DAY_MS,
      settleOnAbortMs: SETTLE_ON_CANCEL_MS,
    }),
    step('post', underLock(post), {
      when: (input) => input.post,
      describe: (_input, facts) =>
        md`once after every host succeeded: ${code(facts.post ?? 'the post command')}`,
      irreversible: true,
      timeoutMs: DAY_MS,
      settleOnAbortMs: SETTLE_ON_CANCEL_MS,
    }),
    step('finish', underLock(finish), {
      describe: () => md`record the deploy in the history, with each host's outcome`,
    }),
  ],
});

interface DeployState {
  lockTaken: boolean;
  startedAt: number;
  preDone: boolean;
  results: HostOutcome[];
  /** Commands started and not yet finished, by host: a resumed job stops those left running. */
  running: Record<string, RunningCommand>;
  report: DeploySummary;
  postDone: boolean;
  finishRecorded: boolean;
  /** The pipeline run this deploy started (CodeBuild build id, CodePipeline execution id). */
  pipelineRunId: string;
  /** Its phases or stages already posted in the thread. */
  pipelineTold: string[];
  pipelineLinkTold: boolean;
  /** It ended (or was stopped): nothing left to stop. */
  pipelineEnded: boolean;
}

type Ctx = StepContext<DeployInput, DeployState>;

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
  Math.round(ctx.services.config.deploy!.lockTtlSeconds * 1000);

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
  const take = () =>
    deploys(ctx).locks.acquireForDeploy(ctx.input.app, ctx.input.env, {
      jobId: ctx.meta.jobId,
      actor: { id: ctx.meta.actor.id, name: ctx.meta.actor.name ?? ctx.meta.actor.id },
      reason: `deploying ${ctx.input.ref}`,
      ttlMs: lockTtlMs(ctx),
    });
  if (!ctx.input.queue) {
    // Approved after others started waiting: they go first.
    const line = await deploys(ctx).waiting.line(ctx.input.app, ctx.input.env);
    if (line.length > 0)
      throw new OpsdeckError(
        ErrorCode.DeployLocked,
        `${line.length} deploy${line.length === 1 ? ' waits' : 's wait'} in line for ${where(ctx)} (${line.map((w) => w.jobId).join(', ')}); ask again with --queue to join the line`,
      );
  }
  const result = ctx.input.queue ? await waitInLine(ctx, take) : await take();
  if (!result.acquired) throw lockedError(result.heldBy);
  await ctx.remember({ lockTaken: true });
  await ctx.say(
    result.alreadyHeld
      ? md`:lock: ${where(ctx)} is still locked by this deploy`
      : md`:lock: locked ${where(ctx)} for this deploy`,
  );
}

/** How often a queued deploy looks at the line and the lock; its heartbeat lasts three times that. */
const WAIT_POLL_MS = 1000;

/**
 * `--queue`: joins the app+env's waiting line and takes the lock once it is first in line and the
 * lock is free, posting its place whenever it changes. A cancel ends the wait (the cleanup leaves
 * the line).
 */
async function waitInLine(
  ctx: Ctx,
  take: () => Promise<AcquireResult>,
): Promise<AcquireResult & { acquired: true }> {
  const { locks, waiting } = deploys(ctx);
  const { app, env } = ctx.input;
  let told = '';
  for (;;) {
    const ahead = await waiting.wait(app, env, ctx.meta.jobId, 3 * WAIT_POLL_MS);
    const result = ahead.length === 0 ? await take() : undefined;
    if (result?.acquired) {
      await waiting.leave(app, env, ctx.meta.jobId);
      return result;
    }
    const held = result?.heldBy ?? (await locks.get(app, env));
    const place =
      ahead.length === 0
        ? 'next in line'
        : `${ordinal(ahead.length + 1)} in line, after ${ahead.map((w) => w.jobId).join(', ')}`;
    if (place !== told) {
      await ctx.say(
        md`:hourglass_flowing_sand: waiting for the lock of ${where(ctx)}: ${place}${held ? md` (${describeLock(held)})` : ''}; ${code(`/ops cancel ${ctx.meta.jobId}`)} leaves the line`,
      );
      told = place;
    }
    await sleep(WAIT_POLL_MS, ctx.signal);
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

async function releaseLock(ctx: Ctx): Promise<void> {
  if (ctx.input.queue)
    await deploys(ctx).waiting.leave(ctx.input.app, ctx.input.env, ctx.meta.jobId);
  if (!ctx.state.lockTaken) return;
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
  const startedAt = ctx.state.startedAt ?? Date.now();
  await ctx.remember({ startedAt });
  await deploys(ctx).history.recordStart({
    jobId: ctx.meta.jobId,
    kind: ctx.input.kind,
    app,
    env,
    ref,
    actor: { id: ctx.meta.actor.id, name: ctx.meta.actor.name ?? ctx.meta.actor.id },
    startedAt,
    hostsTotal: hosts.length,
    ...(ctx.input.emergency && { emergency: ctx.input.emergency }),
  });
  const settings = environment(ctx);
  const transition = describeTransition(
    hosts,
    await deploys(ctx).history.refsOnHosts(app, env, hosts),
    ref,
  );
  const doing =
    ctx.input.kind === 'rollback'
      ? md`:rewind: *rollback*: deploying *${app}* to *${env}* at \`${ref}\` again`
      : md`:rocket: deploying *${app}* to *${env}* at \`${ref}\``;
  const { emergency } = ctx.input;
  if (emergency)
    await ctx.say(
      md`:rotating_light: *emergency*, run without approval: ${emergency.reason}${joinMrkdwn(emergency.overrides.map((text) => md`; overrode ${text}`))}`,
    );
  const requested = md`${doing} (${transition}), requested by ${ctx.meta.actor.name ?? ctx.meta.actor.id}`;
  await ctx.say(
    ctx.input.pipeline
      ? md`${requested}: by ${hosts[0]!}`
      : md`${requested}: ${hosts.length} host${hosts.length === 1 ? '' : 's'} (${hosts.join(', ')}), ${settings.concurrency} at a time, stopping after ${settings.failureThreshold} failed`,
  );
}

/**
 * However the job ends: the history's end of the deploy if the job did not get to `finish`
 * (failed, cancelled), and this worker's output files of the job gone (each is kept in the
 * history as its command ends; one left here is from a command stopped by the cancel).
 */
async function recordUnfinished(ctx: Ctx): Promise<void> {
  await removeJobOutput(ctx.services.config.deploy!.outputDir, ctx.meta.jobId);
  const s = ctx.state;
  if (s.finishRecorded || s.startedAt === undefined) return;
  const cancelledBy = await ctx.services.cancels.requestedBy(ctx.meta.jobId);
  const report = s.report ?? summariseHosts(ctx.input.hosts, s.results ?? []);
  await deploys(ctx).history.recordFinish(ctx.meta.jobId, {
    finishedAt: Date.now(),
    outcome: cancelledBy ? 'cancelled' : 'failed',
    hostsOk: report.ok,
    hostsFailed: report.failed,
    hostsNotRun: report.notRun,
  });
}

async function pre(ctx: Ctx): Promise<void> {
  if (ctx.state.preDone) return;
  await runOnce(ctx, 'pre');
  await ctx.remember({ preDone: true });
}

async function post(ctx: Ctx): Promise<void> {
  if (ctx.state.postDone) return;
  await runOnce(ctx, 'post');
  await ctx.remember({ postDone: true });
}

/** Runs the planned `pre` or `post` command once: the job fails if it does. */
async function runOnce(ctx: Ctx, name: 'pre' | 'post'): Promise<void> {
  const env = environment(ctx);
  const { argv, display } = renderCommand(onceTemplate(ctx, name), {
    app: ctx.input.app,
    env: ctx.input.env,
    ref: ctx.input.ref,
  });
  await ctx.say(md`running the ${name} command: \`${display}\``);
  const result = await runDeployCommand({
    jobId: ctx.meta.jobId,
    outputDir: ctx.services.config.deploy!.outputDir,
    history: deploys(ctx).history,
    host: name,
    fileName: `_${name}`,
    argv,
    timeoutMs: env.hostTimeoutSeconds * 1000,
    signal: ctx.signal,
  });
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

async function rollout(ctx: Ctx): Promise<void> {
  const env = environment(ctx);
  const { ref, hosts } = ctx.input;
  let results = [...(ctx.state.results ?? [])];
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
  const phase = (phaseHosts: readonly string[], failureThreshold: number) =>
    runRollout<HostOutcome>({
      hosts: phaseHosts,
      concurrency: env.concurrency,
      ...(env.batchPauseSeconds !== undefined && { batchPauseMs: env.batchPauseSeconds * 1000 }),
      failureThreshold,
      previous: results,
      signal: ctx.signal,
      runHost: async (host, signal) => {
        const outcome = await deployHost(ctx, env, host, ref, signal, (processGroup, argv0) => {
          running = { ...running, [host]: runningCommand(processGroup, argv0) };
          return save();
        });
        if (outcome.ok)
          await done.add(
            md`:white_check_mark: ${host} done in ${formatDuration(outcome.durationMs)}${env.healthCheck ? ', healthy' : ''}`,
          );
        else await done.flush();
        return outcome;
      },
      onHostFinished: async (result) => {
        results = [...results.filter((r) => r.host !== result.host), result];
        running = Object.fromEntries(
          Object.entries(running).filter(([host]) => host !== result.host),
        );
        await save();
        ctx.progress(results.length, hosts.length, 'hosts');
      },
    });

  // The canary batch alone first: any of its hosts failing stops the rollout.
  const canary = hosts.slice(0, canaryCount(env.canary, hosts.length));
  let stoppedBy: 'failure-threshold' | 'cancelled' | 'canary' | null = null;
  const ran: string[] = [];
  if (canary.length > 0) {
    const first = await phase(canary, 1);
    ran.push(...first.ran);
    await done.flush();
    if (first.stoppedBy === 'cancelled') stoppedBy = 'cancelled';
    else if (first.failed.length > 0) stoppedBy = 'canary';
    else if (!results.some((r) => !canary.includes(r.host))) {
      const pause = env.canaryPauseSeconds;
      await ctx.say(
        md`:hatching_chick: canary ok on ${canary.join(', ')}${pause > 0 ? `; the other ${hosts.length - canary.length} hosts in ${formatDuration(pause * 1000)}` : `; now the other ${hosts.length - canary.length} hosts`}`,
      );
      if (pause > 0) await sleepUnlessAborted(pause * 1000, ctx.signal);
      if (ctx.signal.aborted) stoppedBy = 'cancelled';
    }
  }
  if (stoppedBy === null) {
    const rest = await phase(hosts, env.failureThreshold);
    ran.push(...rest.ran);
    stoppedBy = rest.stoppedBy;
  }
  await done.flush();
  const summary = summariseHosts(hosts, results);
  await ctx.remember({ report: summary });
  const counts = `${summary.ok.length} ok, ${summary.failed.length} failed, ${summary.notRun.length} not run${summary.notRun.length ? ` (${summary.notRun.join(', ')})` : ''}`;
  if (stoppedBy === 'cancelled') {
    await ctx.say(md`:no_entry_sign: cancelled: ${counts}; ran: ${ran.join(', ') || 'none'}`);
    throw new CancelledError('cancelled during the rollout');
  }
  if (stoppedBy !== null || summary.failed.length > 0) {
    const why =
      stoppedBy === 'canary'
        ? `: the canary failed (${canary.join(', ')}), so the other hosts did not run`
        : stoppedBy === 'failure-threshold'
          ? `: the failure threshold (${env.failureThreshold}) stopped the rollout`
          : '';
    const failure = `${summary.failed.length} host${summary.failed.length === 1 ? '' : 's'} failed (${summary.failed.join(', ')})${why}; ${counts}`;
    const rolledBack = env.autoRollback ? await autoRollback(ctx, env, summary, failure) : '';
    throw new OpsdeckError(ErrorCode.StepFailed, `${failure}${rolledBack}`);
  }
  await ctx.say(md`all ${hosts.length} hosts deployed: ${counts}`);
}

/** The environment's pipeline, as planned (the config must still deploy by one), and how often to look at it. */
function plannedPipeline(ctx: Ctx): { run: PipelineRun; pollMs: number } {
  const { targets } = environment(ctx);
  if (!isPipelineTarget(targets))
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `the plan starts a pipeline, but ${where(ctx)} deploys to hosts in the config now`,
    );
  const { ref, app, env } = ctx.input;
  const { pollSeconds } = 'codebuild' in targets ? targets.codebuild : targets.codepipeline;
  return {
    run: pipelineRun(ctx.services.aws, targets, { ref, app, env }),
    pollMs: pollSeconds * 1000,
  };
}

/**
 * A pipeline target: starts the run once (its id checkpointed; a job resumed after its worker
 * died follows the same run, and the job id as the start's idempotency token covers a death
 * between the start and the checkpoint), then looks at it every `pollSeconds`, posting each phase
 * or stage once as it ends. A failed one fails the deploy, saying which and why; a cancel stops
 * the run and says so.
 */
async function runPipeline(ctx: Ctx): Promise<void> {
  const { run, pollMs } = plannedPipeline(ctx);
  const label = ctx.input.hosts[0]!;
  let id = ctx.state.pipelineRunId;
  if (id !== undefined)
    await ctx.say(
      md`resuming: following ${run.what}'s run ${code(id)}, started before the interruption (no second run)`,
    );
  else {
    id = await run.start(ctx.meta.jobId, ctx.signal);
    await ctx.remember({ pipelineRunId: id });
    await ctx.say(md`:arrow_forward: started ${run.what}: run ${code(id)}`);
  }
  const told = new Set(ctx.state.pipelineTold ?? []);
  let linkTold = ctx.state.pipelineLinkTold ?? false;
  const fail = async (why: string): Promise<never> => {
    await ctx.remember({ pipelineEnded: true, report: { ok: [], failed: [label], notRun: [] } });
    throw new OpsdeckError(ErrorCode.StepFailed, why);
  };
  for (;;) {
    if (ctx.signal.aborted) return stopPipeline(ctx, run, id);
    let look;
    try {
      look = await run.look(id, ctx.signal);
    } catch (error) {
      if (ctx.signal.aborted) return stopPipeline(ctx, run, id);
      throw error;
    }
    if (!linkTold && look.link) {
      await ctx.say(md`:scroll: ${run.what}: ${link(look.link, 'the run and its logs')}`);
      linkTold = true;
      await ctx.remember({ pipelineLinkTold: true });
    }
    const ended = look.steps.filter((s) => s.status !== 'running' && !told.has(s.name));
    for (const step of ended) {
      await ctx.say(describeStep(run, step));
      told.add(step.name);
    }
    // The lines told are its progress: a percentage would be a guess (a pipeline's stages are
    // known only as they start).
    if (ended.length > 0) await ctx.remember({ pipelineTold: [...told] });
    if (look.status === 'succeeded') {
      await ctx.remember({ pipelineEnded: true, report: { ok: [label], failed: [], notRun: [] } });
      await ctx.say(md`${run.what}: run ${code(id)} succeeded`);
      return;
    }
    if (look.status === 'failed') {
      const failed = look.steps.find((s) => s.status === 'failed');
      return fail(
        failed
          ? `${run.what}: the ${failed.name} ${run.unit} failed${failed.reason ? `: ${failed.reason}` : ''}`
          : `${run.what}: run ${id} failed${look.reason ? `: ${look.reason}` : ''}`,
      );
    }
    if (look.status === 'stopped')
      return fail(`${run.what}: run ${id} was stopped outside this deploy`);
    await sleepUnlessAborted(pollMs, ctx.signal);
  }
}

function describeStep(run: PipelineRun, step: PipelineStep) {
  const took = step.durationMs === undefined ? '' : ` in ${formatDuration(step.durationMs)}`;
  if (step.status === 'succeeded')
    return md`:white_check_mark: ${run.unit} ${step.name} succeeded${took}`;
  if (step.status === 'stopped') return md`:no_entry_sign: ${run.unit} ${step.name} stopped${took}`;
  return md`:x: ${run.unit} ${step.name} failed${took}${step.reason ? `: ${step.reason}` : ''}`;
}

/** A cancel (or the step's timeout) stops the run, and the thread says so. */
async function stopPipeline(ctx: Ctx, run: PipelineRun, id: string): Promise<never> {
  const words = abortWords(ctx.signal);
  const by = await ctx.services.cancels.requestedBy(ctx.meta.jobId);
  await run.stop(id, `opsdeck job ${ctx.meta.jobId} ${words}${by ? ` by ${by.name}` : ''}`);
  await ctx.remember({ pipelineEnded: true });
  await ctx.say(md`:no_entry_sign: ${words}: stopped ${run.what}'s run ${code(id)}`);
  throw new CancelledError(`${words} while ${run.what} ran`);
}

/**
 * However the job ends: a run it started and did not see end (the step gave up on a cancel, or
 * failed looking at it) is stopped, so no build is left running.
 */
async function stopPipelineLeftRunning(ctx: Ctx): Promise<void> {
  const id = ctx.state.pipelineRunId;
  if (id === undefined || ctx.state.pipelineEnded) return;
  const { run } = plannedPipeline(ctx);
  await run.stop(id, `opsdeck job ${ctx.meta.jobId} ended before its run`);
  await ctx.remember({ pipelineEnded: true });
  await ctx.say(
    md`:warning: stopped ${run.what}'s run ${code(id)}, left running when the job ended`,
  );
}

/**
 * One host: its deploy command (output kept in the history), then its health check when the
 * environment has one; a failed check is a failed host. Never throws for the host's sake.
 */
async function deployHost(
  ctx: Ctx,
  env: DeployEnvironment,
  host: string,
  ref: string,
  signal: AbortSignal,
  onSpawn: (processGroup: number, argv0: string) => Promise<void>,
  jobId = ctx.meta.jobId,
): Promise<HostOutcome> {
  const values = { host, ref, app: ctx.input.app, env: ctx.input.env };
  const { argv } = renderCommand(hostCommand(env), values);
  const result = await runDeployCommand({
    jobId,
    outputDir: ctx.services.config.deploy!.outputDir,
    history: deploys(ctx).history,
    host,
    argv,
    timeoutMs: env.hostTimeoutSeconds * 1000,
    signal,
    onSpawn: (processGroup) => onSpawn(processGroup, argv[0]!),
  });
  const outcome = hostOutcome(result);
  if (!result.ok) {
    await ctx.say(
      md`:x: ${host} ${describeFailure(result)}${result.cancelled ? '' : tailBlock(result.tail)}\nFull output: \`/deploy output ${jobId} ${host}\``,
    );
    return outcome;
  }
  if (!env.healthCheck) return outcome;
  try {
    const health = await checkHealth({
      check: env.healthCheck,
      values,
      workDir: join(ctx.services.config.deploy!.outputDir, ctx.meta.jobId),
      signal,
    });
    if (health.ok) return outcome;
    const unhealthy = `after ${health.attempts} attempt${health.attempts === 1 ? '' : 's'}: ${health.detail}`;
    await ctx.say(md`:x: ${host} ${describeFailure({ ...outcome, ok: false, unhealthy })}`);
    return { ...outcome, ok: false, unhealthy };
  } catch (error) {
    if (!signal.aborted) throw error;
    return { ...outcome, ok: false, cancelled: true };
  }
}

/**
 * `autoRollback`: the deploy is recorded as failed first (what the new ref did on each host),
 * then each host it ran on gets again the ref it ran before (from the history; hosts never
 * deployed before are left as they are), recorded as rollbacks; the thread gets both outcomes.
 * Returns the rollback's outcome in words, for the step's error.
 */
async function autoRollback(
  ctx: Ctx,
  env: DeployEnvironment,
  summary: DeploySummary,
  failure: string,
): Promise<string> {
  const { history } = deploys(ctx);
  const { app, env: envName, ref } = ctx.input;
  const touched = [...summary.ok, ...summary.failed];
  // The history does not have this deploy's end yet: what each host ran before it.
  const before = await history.refsOnHosts(app, envName, touched);
  await history.recordFinish(ctx.meta.jobId, {
    finishedAt: Date.now(),
    outcome: 'failed',
    hostsOk: summary.ok,
    hostsFailed: summary.failed,
    hostsNotRun: summary.notRun,
  });
  await ctx.remember({ finishRecorded: true });
  const untouched = touched.filter((host) => !before.has(host));
  const byRef = new Map<string, string[]>();
  for (const host of touched) {
    const previous = before.get(host);
    if (previous !== undefined && previous !== ref)
      byRef.set(previous, [...(byRef.get(previous) ?? []), host]);
  }
  await ctx.say(
    md`:rewind: *auto-rollback* of ${app}/${envName} after: ${failure}. Deploying again what ran before: ${[...byRef].map(([previous, list]) => `${previous} on ${list.join(', ')}`).join('; ') || 'nothing'}${untouched.length ? ` (${untouched.join(', ')} had nothing before: left as they are)` : ''}`,
  );
  const outcomes: string[] = [];
  let index = 0;
  for (const [previous, list] of byRef) {
    const jobId = `${ctx.meta.jobId}-rollback-${++index}`;
    const startedAt = Date.now();
    await history.recordStart({
      jobId,
      kind: 'rollback',
      app,
      env: envName,
      ref: previous,
      actor: { id: ctx.meta.actor.id, name: ctx.meta.actor.name ?? ctx.meta.actor.id },
      startedAt,
      hostsTotal: list.length,
    });
    const report = await runRollout<HostOutcome>({
      hosts: list,
      concurrency: env.concurrency,
      failureThreshold: list.length,
      signal: ctx.signal,
      runHost: (host, signal) =>
        deployHost(ctx, env, host, previous, signal, () => Promise.resolve(), jobId),
    });
    const result = summariseHosts(list, report.results);
    await history.recordFinish(jobId, {
      finishedAt: Date.now(),
      outcome:
        result.ok.length === list.length
          ? 'succeeded'
          : ctx.signal.aborted
            ? 'cancelled'
            : 'failed',
      hostsOk: result.ok,
      hostsFailed: result.failed,
      hostsNotRun: result.notRun,
    });
    outcomes.push(
      `${previous} back on ${result.ok.length}/${list.length} (${result.ok.join(', ') || 'none'})${result.failed.length ? `, failed on ${result.failed.join(', ')}` : ''}`,
    );
  }
  const told = outcomes.join('; ') || 'nothing to roll back';
  await ctx.say(
    md`${outcomes.length > 0 && !outcomes.some((o) => o.includes('failed on')) ? ':white_check_mark:' : ':warning:'} auto-rollback: ${told}`,
  );
  return `; auto-rollback: ${told}`;
}

/**
 * A worker that died left its hosts' commands running (their own process groups outlive it):
 * stop them before their hosts run again, so no host is deployed twice at the same time.
 */
async function stopCommandsLeftRunning(ctx: Ctx): Promise<void> {
  const left = Object.entries(ctx.state.running ?? {});
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
  const { outputRetentionDays } = ctx.services.config.deploy!;
  const { history } = deploys(ctx);
  // Every deploy removes hosts' kept output past retention (a batch: a backlog goes over several).
  const removed = await history.pruneHostOutput(Date.now() - outputRetentionDays * DAY_MS);
  if (removed > 0)
    ctx.log.info({ removed, days: outputRetentionDays }, "deleted hosts' output past retention");
  const s = ctx.state;
  const report = s.report ?? summariseHosts(ctx.input.hosts, s.results ?? []);
  await history.recordFinish(ctx.meta.jobId, {
    finishedAt: Date.now(),
    outcome: 'succeeded',
    hostsOk: report.ok,
    hostsFailed: report.failed,
    hostsNotRun: report.notRun,
  });
  await ctx.remember({ finishRecorded: true });
  const took = s.startedAt === undefined ? '' : ` in ${formatDuration(Date.now() - s.startedAt)}`;
  await ctx.say(
    md`:white_check_mark: ${ctx.input.kind === 'rollback' ? 'rolled back: ' : ''}*${ctx.input.app}* \`${ctx.input.ref}\` is on *${ctx.input.env}*${took}: ${ctx.input.pipeline ? `${ctx.input.hosts[0]!} succeeded` : `${report.ok.length}/${ctx.input.hosts.length} hosts ok`}`,
  );
}
