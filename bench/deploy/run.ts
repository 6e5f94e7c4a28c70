import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALICE, E2eStack, jobIdIn } from '../../test/helpers/e2e-stack';

/**
 * bench/deploy: `/deploy` of N hosts, from the signed slash command to the job's root message
 * saying succeeded, against what an operator did before (the runbooks' button:
 * `pdsh -R exec -w host[01-15] ssh %h sudo puppet agent --onetime`), side by side in one run.
 *
 * Both sides run the same per-host command, deploy-host.sh (prints four lines, sleeps a fixed
 * time, writes a marker file with its start and end times), on the same N made-up addresses
 * (10.9.x.y) with the same bounded parallelism:
 * - baseline: `xargs -P <concurrency> -I{} deploy-host.sh ... {} ...` fed the host list on stdin
 *   (pdsh's exec module is the same thing: a fork per host, at most <concurrency> at a time, the
 *   output read back), no bot. pdsh is not installed here; xargs is on every machine;
 * - opsdeck: the whole bot (test/helpers/e2e-stack.ts: the real Bolt receiver, a real worker
 *   process, local Redis and MariaDB, the fake Slack Web API) receiving a signed
 *   `/deploy web bench <ref>` of a static host list, to the root message saying succeeded. On top of
 *   the same work it takes the app+env lock, records the deploy, checkpoints each host's result
 *   as it ends, keeps each host's output in MySQL and posts a thread line per host, then unlocks.
 *
 * The difference over N is the overhead per host. Rounds alternate baseline and opsdeck (drift on
 * a noisy machine hits both alike), after one unmeasured warm-up round of each; the medians are
 * compared. Every round of both sides must leave a marker for every host, or the bench fails
 * (exit 1). The opsdeck time is split by the markers and the job's BullMQ timestamps: before the
 * first host starts, the rollout itself, the worker's work after the last host, and the wait for
 * Slack to show the result (the thread's lines go out in order, paced by notify.postIntervalMs:
 * 50 ms here as in the e2e tests; Slack's real limit is about one message per second per channel,
 * the config default 1100 ms, which --post-interval-ms 1100 shows). runbook.progressIntervalMs
 * is the config default (10 s), not the e2e tests' 0 (a progress line per host).
 *
 * A second pair measures a canary rollout with health checks (the `canary` environment: `canary: 1`,
 * no pause, a health check command after each host, health-check.sh): the baseline runs the first
 * host and its check alone, then `xargs -P` over the rest, each `deploy-host.sh && health-check.sh`;
 * opsdeck runs `/deploy web canary <ref>`. Its line gives what opsdeck adds per host there too.
 *
 * Peak RSS: VmHWM of the worker process (/proc/<pid>/status), right after it is ready and at the
 * end; the per-host commands are its children and are not counted (nor in the baseline).
 *
 *   npm run bench:deploy [-- --hosts 60 --concurrency 10 --seconds 0.5 --rounds 5 --post-interval-ms 50]
 *   env: BENCH_HOSTS, BENCH_CONCURRENCY, BENCH_SECONDS, BENCH_ROUNDS, BENCH_POST_INTERVAL_MS
 *   (a flag wins over its variable)
 */
const HOSTS = Number(option('--hosts', 'BENCH_HOSTS') ?? 60);
const CONCURRENCY = Number(option('--concurrency', 'BENCH_CONCURRENCY') ?? 10);
const SECONDS = Number(option('--seconds', 'BENCH_SECONDS') ?? 0.5);
const ROUNDS = Number(option('--rounds', 'BENCH_ROUNDS') ?? 5);
const POST_INTERVAL_MS = Number(option('--post-interval-ms', 'BENCH_POST_INTERVAL_MS') ?? 50);
/** The goal: what opsdeck adds per host deployed, in wall time, at the defaults. */
const GOAL_OVERHEAD_PER_HOST_MS = 25;

const SCRIPT = join(__dirname, 'deploy-host.sh');
const HEALTH = join(__dirname, 'health-check.sh');
const APP = 'web';
const ENV = 'bench';
const CANARY_ENV = 'canary';

function option(flag: string, variable: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index === -1 ? process.env[variable] : process.argv[index + 1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const range = (values: number[]) =>
  `${(Math.min(...values) / 1000).toFixed(2)}–${seconds(Math.max(...values))}`;

/** 10.9.0.1, 10.9.0.2, …, 10.9.0.250, 10.9.1.1, … */
const hosts = Array.from(
  { length: HOSTS },
  (_, i) => `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`,
);

interface Markers {
  /** Hosts with a marker. */
  done: Set<string>;
  firstStart: number;
  lastEnd: number;
}

/** The markers deploy-host.sh left for `ref`; fails unless every host has one. */
function markers(root: string, ref: string, side: string): Markers {
  const dir = join(root, ref);
  const files = (() => {
    try {
      return readdirSync(dir).filter((name) => name.endsWith('.done'));
    } catch {
      return [];
    }
  })();
  const done = new Set(files.map((name) => name.slice(0, -'.done'.length)));
  const missing = hosts.filter((host) => !done.has(host));
  if (missing.length > 0 || done.size !== hosts.length)
    throw new Error(
      `${side} ${ref}: ${done.size} of ${hosts.length} hosts deployed (markers in ${dir}); missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}`,
    );
  let firstStart = Infinity;
  let lastEnd = 0;
  for (const name of files) {
    const [start, end] = readFileSync(join(dir, name), 'utf8').trim().split(' ').map(Number);
    firstStart = Math.min(firstStart, start!);
    lastEnd = Math.max(lastEnd, end!);
  }
  return { done, firstStart, lastEnd };
}

interface BaselineRun {
  wallMs: number;
  outputBytes: number;
}

/** The operator's way: xargs -P over the host list, output read back as pdsh would. */
async function baseline(root: string, ref: string): Promise<BaselineRun> {
  const started = performance.now();
  const run = await xargs(
    ['-P', String(CONCURRENCY), '-I{}', SCRIPT, root, '{}', ref, String(SECONDS)],
    hosts,
    ref,
  );
  return { wallMs: performance.now() - started, outputBytes: run.outputBytes };
}

/**
 * The operator's canary rollout with health checks: the first host and its check alone, then the
 * others `xargs -P`, each deployed then checked.
 */
async function canaryBaseline(root: string, ref: string): Promise<BaselineRun> {
  const started = performance.now();
  const step = 'host=$1; "$2" "$3" "$host" "$4" "$5" && "$6" "$3" "$4" "$host"';
  const first = await xargs(
    ['-I{}', 'sh', '-c', step, 'sh', '{}', SCRIPT, root, ref, String(SECONDS), HEALTH],
    hosts.slice(0, 1),
    ref,
  );
  const rest = await xargs(
    [
      '-P',
      String(CONCURRENCY),
      '-I{}',
      'sh',
      '-c',
      step,
      'sh',
      '{}',
      SCRIPT,
      root,
      ref,
      String(SECONDS),
      HEALTH,
    ],
    hosts.slice(1),
    ref,
  );
  return { wallMs: performance.now() - started, outputBytes: first.outputBytes + rest.outputBytes };
}

/** xargs with `args`, fed `list` on stdin; fails unless it exits 0. */
async function xargs(
  args: string[],
  list: readonly string[],
  ref: string,
): Promise<{ outputBytes: number }> {
  const child = spawn('xargs', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let outputBytes = 0;
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => (outputBytes += chunk.length));
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  child.stdin.end(`${list.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`baseline ${ref}: xargs exited ${code}: ${errors}`);
  return { outputBytes };
}

interface OpsdeckRun {
  wallMs: number;
  ackMs: number;
  /** Epoch ms. */
  sentAt: number;
  jobFinishedAt: number;
  shownAt: number;
  threadLines: number;
}

async function opsdeck(stack: E2eStack, ref: string, env = ENV): Promise<OpsdeckRun> {
  const budgetMs = 120_000 + HOSTS * (SECONDS * 1000 + 4 * POST_INTERVAL_MS);
  const sentAt = Date.now();
  const started = performance.now();
  const res = await stack.slash(`${APP} ${env} ${ref}`, { command: '/deploy' });
  const ackMs = performance.now() - started;
  const ack = (res.body as { text?: string }).text ?? String(res.body);
  if (!ack.includes('Queued')) throw new Error(`/deploy ${ref} was not queued: ${ack}`);
  const jobId = jobIdIn(ack);
  for (;;) {
    const { root, replies } = stack.thread(jobId);
    if (root?.text.includes('succeeded')) {
      const wallMs = performance.now() - started;
      const shownAt = Date.now();
      const job = await stack.runtime.opsQueue.getJob(jobId);
      return {
        wallMs,
        ackMs,
        sentAt,
        jobFinishedAt: job?.finishedOn ?? NaN,
        shownAt,
        threadLines: replies.length,
      };
    }
    if (root && /failed|cancelled/.test(root.text))
      throw new Error(`/deploy ${ref} did not succeed:\n${root.text}\n${replies.join('\n')}`);
    if (performance.now() - started > budgetMs)
      throw new Error(
        `/deploy ${ref}: no result after ${seconds(budgetMs)}:\n${root?.text ?? '(no root message)'}\n${replies.join('\n')}`,
      );
    await sleep(10);
  }
}

/** The worker's VmHWM (peak resident set since it started), in bytes. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-bench-deploy-'));
  const stack = new E2eStack({
    access: {
      admins: 'operators',
      groups: { operators: { users: [ALICE.id] } },
      rules: [
        { command: 'deploy', targets: ['*'], groups: ['operators'] },
        { command: 'deploy *', targets: ['*'], groups: ['operators'] },
      ],
    },
    deploy: {
      apps: {
        [APP]: {
          environments: {
            [ENV]: {
              targets: { hosts },
              command: [SCRIPT, join(root, 'opsdeck'), '{host}', '{ref}', String(SECONDS)],
              concurrency: CONCURRENCY,
              hostTimeoutSeconds: 60,
              defaultRef: 'main',
            },
            [CANARY_ENV]: {
              targets: { hosts },
              command: [SCRIPT, join(root, 'opsdeck'), '{host}', '{ref}', String(SECONDS)],
              concurrency: CONCURRENCY,
              hostTimeoutSeconds: 60,
              canary: 1,
              healthCheck: {
                command: [HEALTH, join(root, 'opsdeck'), '{ref}', '{host}'],
                timeoutSeconds: 10,
                retries: 0,
              },
            },
          },
        },
      },
      outputDir: join(root, 'output'),
    },
    // The config defaults (progress lines at most every 10 s), not the e2e tests' 0.
    runbook: {},
    notify: {
      postIntervalMs: POST_INTERVAL_MS,
      updateIntervalMs: POST_INTERVAL_MS,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 500,
    },
  });
  try {
    await stack.start();
    const worker = await stack.startWorker();
    const pid = worker.pid!;
    const idleRss = peakRss(pid);
    let lastRss = idleRss;
    // VmHWM only grows; sampled so a worker that dies still leaves its last value.
    const sampler = setInterval(() => {
      try {
        lastRss = peakRss(pid);
      } catch {
        // gone: keep the last value
      }
    }, 200);

    process.stdout.write(
      `bench/deploy: ${HOSTS} hosts, ${CONCURRENCY} at a time, ${SECONDS} s each; ${ROUNDS} rounds (+1 warm-up) alternating; thread lines paced at ${POST_INTERVAL_MS} ms\n`,
    );
    const base: BaselineRun[] = [];
    const bot: OpsdeckRun[] = [];
    const canaryBase: number[] = [];
    const canaryBot: number[] = [];
    const basePhases: { before: number; rollout: number }[] = [];
    const botPhases: { before: number; rollout: number; after: number; slack: number }[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const label = round === 0 ? 'warm-up' : `round ${round}`;
      const baseRef = `baseline-${round}`;
      const baseStarted = Date.now();
      const b = await baseline(join(root, 'baseline'), baseRef);
      const bm = markers(join(root, 'baseline'), baseRef, 'baseline');

      const botRef = `opsdeck-${round}`;
      const o = await opsdeck(stack, botRef);
      const om = markers(join(root, 'opsdeck'), botRef, 'opsdeck');
      process.stdout.write(
        `  ${label.padEnd(8)} baseline ${seconds(b.wallMs).padStart(8)} (${bm.done.size} hosts)   opsdeck ${seconds(o.wallMs).padStart(8)} (${om.done.size} hosts, ${o.threadLines} thread lines)\n`,
      );
      const canaryBaseRef = `canary-baseline-${round}`;
      const cb = await canaryBaseline(join(root, 'baseline'), canaryBaseRef);
      markers(join(root, 'baseline'), canaryBaseRef, 'canary baseline');
      const canaryBotRef = `canary-opsdeck-${round}`;
      const co = await opsdeck(stack, canaryBotRef, CANARY_ENV);
      markers(join(root, 'opsdeck'), canaryBotRef, 'canary opsdeck');
      process.stdout.write(
        `  ${''.padEnd(8)} canary+health: baseline ${seconds(cb.wallMs).padStart(8)}   opsdeck ${seconds(co.wallMs).padStart(8)}\n`,
      );
      if (round === 0) continue;
      canaryBase.push(cb.wallMs);
      canaryBot.push(co.wallMs);
      base.push(b);
      bot.push(o);
      basePhases.push({ before: bm.firstStart - baseStarted, rollout: bm.lastEnd - bm.firstStart });
      botPhases.push({
        before: om.firstStart - o.sentAt,
        rollout: om.lastEnd - om.firstStart,
        after: o.jobFinishedAt - om.lastEnd,
        slack: o.shownAt - o.jobFinishedAt,
      });
    }
    clearInterval(sampler);
    try {
      lastRss = peakRss(pid);
    } catch {
      // gone: keep the last sample
    }

    const baseMs = median(base.map((r) => r.wallMs));
    const botMs = median(bot.map((r) => r.wallMs));
    const ratio = botMs / baseMs;
    const perHost = (botMs - baseMs) / HOSTS;
    const canaryRatio = median(canaryBot) / median(canaryBase);
    const canaryPerHost = (median(canaryBot) - median(canaryBase)) / HOSTS;
    const m = (values: number[]) => seconds(median(values)).padStart(7);
    const idealMs = Math.ceil(HOSTS / CONCURRENCY) * SECONDS * 1000;
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
    process.stdout.write(
      [
        `baseline (xargs -P ${CONCURRENCY})        median ${m(base.map((r) => r.wallMs))}  (${range(base.map((r) => r.wallMs))})`,
        `    spawn → first host ${m(basePhases.map((p) => p.before))}   first start → last end ${m(basePhases.map((p) => p.rollout))}`,
        `opsdeck (/deploy → succeeded)  median ${m(bot.map((r) => r.wallMs))}  (${range(bot.map((r) => r.wallMs))})`,
        `    slash → first host ${m(botPhases.map((p) => p.before))}   first start → last end ${m(botPhases.map((p) => p.rollout))}`,
        `    last end → job done ${m(botPhases.map((p) => p.after))}   job done → root says succeeded ${m(botPhases.map((p) => p.slack))}   (ack ${median(bot.map((r) => r.ackMs)).toFixed(0)} ms)`,
        `(the work itself: ${Math.ceil(HOSTS / CONCURRENCY)} waves of ${SECONDS} s = ${seconds(idealMs)})`,
        `worker peak RSS (VmHWM) ${mb(lastRss)} (${mb(idleRss)} when ready)`,
        `opsdeck / baseline: ${ratio.toFixed(2)}x; opsdeck adds ${perHost.toFixed(1)} ms per host (goal under ${GOAL_OVERHEAD_PER_HOST_MS} ms per host at the defaults: ${perHost < GOAL_OVERHEAD_PER_HOST_MS ? 'reached' : 'NOT reached'})`,
        `canary rollout with health checks (canary: 1, a check after each host): baseline median ${m(canaryBase)}, opsdeck median ${m(canaryBot)}; opsdeck / baseline: ${canaryRatio.toFixed(2)}x; opsdeck adds ${canaryPerHost.toFixed(1)} ms per host (goal under ${GOAL_OVERHEAD_PER_HOST_MS} ms: ${canaryPerHost < GOAL_OVERHEAD_PER_HOST_MS ? 'reached' : 'NOT reached'})`,
        '',
      ].join('\n'),
    );
  } finally {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
