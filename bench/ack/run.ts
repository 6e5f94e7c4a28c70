import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import mysql from 'mysql2/promise';
import { type FakeSlackApi, startFakeSlackApi } from '../../devkit/slack/fake-slack-api';
import {
  type DeliverToBot,
  signedHttpDelivery,
  socketModeDelivery,
} from '../../devkit/slack/slack-delivery';
import { slashCommandBody } from '../../devkit/slack/slack-payloads';

/**
 * bench/ack: slash commands against opsdeck's front door (verify, parse, plan, enqueue into
 * Redis, ack) and against a bare Bolt app that acks without work, side by side in one run, over
 * both transports: signed HTTP POSTs to the receivers, and envelopes over Socket Mode (each app
 * connected to a fake Slack of its own; opsdeck through its own receiver, the bare app through
 * Bolt's). Prints p50/p99 per app and transport and the ratios.
 * Goal: opsdeck p99 under 100 ms and within 2x of the bare app.
 *
 *   npm run bench:ack [-- --requests 1000 --concurrency 50]
 */
const ROOT = join(__dirname, '../..');
const REQUESTS = Number(argument('--requests') ?? 1000);
const CONCURRENCY = Number(argument('--concurrency') ?? 50);
const WARMUP = 100;
const SECRET = randomBytes(16).toString('hex');
const BOT_TOKEN = 'xoxb-bench-0000-0000';
const APP_TOKEN = `xapp-bench-${randomBytes(8).toString('hex')}`;
const REDIS_URL = `redis://127.0.0.1:${process.env.OPSDECK_REDIS_PORT ?? 6380}`;
const MYSQL_PORT = Number(process.env.OPSDECK_MYSQL_PORT ?? 3307);

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function startServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args[0]} did not start:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1] ?? 0));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}):\n${output}`)));
  });
  return { child, port };
}

/** `count` slash commands, CONCURRENCY in flight; the latency of each, sorted. */
async function measure(deliver: DeliverToBot, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const body = slashCommandBody({
        command: '/ops',
        text: 'ping --ticks 1',
        user: { id: 'U0BENCH', name: 'bench' },
        channel: { id: 'C0BENCH', name: 'bench' },
        responseUrl: 'http://127.0.0.1:9/respond',
      });
      const started = performance.now();
      const answer = await deliver(body);
      latencies.push(performance.now() - started);
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.text}`);
      if (!answer.text.includes('"text"')) throw new Error(`not an answer: ${answer.text}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function writeConfig(dir: string, name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

async function main(): Promise<void> {
  const prefix = `bench-ack-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-bench-'));
  // One fake Slack per app: each app's Socket Mode connection gets only its own envelopes.
  const slack = await startFakeSlackApi();
  const bareSlack = await startFakeSlackApi({ appToken: APP_TOKEN });
  const botSlack = await startFakeSlackApi({ appToken: APP_TOKEN });
  const fakes: FakeSlackApi[] = [slack, bareSlack, botSlack];
  const database = prefix.replace(/-/g, '_');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: MYSQL_PORT, user: 'root' });
  await admin.query(`CREATE DATABASE \`${database}\``);
  const shared = [
    'http: { host: 127.0.0.1, port: 0 }',
    `redis: { url: "${REDIS_URL}", prefix: ${prefix} }`,
    `mysql: { host: 127.0.0.1, port: ${MYSQL_PORT}, user: root, database: ${database}, tls: { mode: disabled } }`,
    'access: { groups: { bench: { users: [U0BENCH] } }, rules: [{ command: "*", groups: [bench] }] }',
    'log: { level: info }',
  ];
  const httpConfig = writeConfig(dir, 'http', [
    `slack: { mode: http, signingSecretEnv: BENCH_SIGNING_SECRET, botTokenEnv: BENCH_BOT_TOKEN, apiUrl: "${slack.url}" }`,
    ...shared,
  ]);
  const socketConfig = writeConfig(dir, 'socket', [
    `slack: { mode: socket, appTokenEnv: BENCH_APP_TOKEN, botTokenEnv: BENCH_BOT_TOKEN, apiUrl: "${botSlack.url}" }`,
    ...shared,
  ]);
  const env = {
    BENCH_SIGNING_SECRET: SECRET,
    BENCH_BOT_TOKEN: BOT_TOKEN,
    BENCH_APP_TOKEN: APP_TOKEN,
  };
  const children: ChildProcess[] = [];
  const start = async (args: string[], extra: NodeJS.ProcessEnv, ready: RegExp) => {
    const server = await startServer(args, { ...env, ...extra }, ready);
    children.push(server.child);
    return server;
  };
  const queue = new Queue('ops', { connection: { url: REDIS_URL }, prefix });
  try {
    const bareHttp = await start(
      ['bench/ack/bare-app.ts'],
      { BENCH_SLACK_API_URL: slack.url },
      /listening on (\d+)/,
    );
    const botHttp = await start(
      ['src/app/bot.ts'],
      { OPSDECK_CONFIG: httpConfig },
      /"port":(\d+),"mode":"http"/,
    );
    await start(
      ['bench/ack/bare-app.ts', '--socket'],
      { BENCH_SLACK_API_URL: bareSlack.url },
      /connected()/,
    );
    await start(['src/app/bot.ts'], { OPSDECK_CONFIG: socketConfig }, /"mode":"socket"()/);
    const runs = [
      {
        name: 'http    bare Bolt (ack only)',
        deliver: signedHttpDelivery(`http://127.0.0.1:${bareHttp.port}/slack/events`, SECRET),
      },
      {
        name: 'http    opsdeck (parse+enqueue)',
        deliver: signedHttpDelivery(`http://127.0.0.1:${botHttp.port}/slack/events`, SECRET),
      },
      { name: 'socket  bare Bolt (ack only)', deliver: socketModeDelivery(bareSlack.socket) },
      { name: 'socket  opsdeck (parse+enqueue)', deliver: socketModeDelivery(botSlack.socket) },
    ];
    for (const run of runs) await measure(run.deliver, WARMUP);
    // Two halves in mirrored order, so machine noise hits every run alike.
    const half = Math.floor(REQUESTS / 2);
    const results = runs.map(() => [] as number[]);
    for (const [i, run] of runs.entries()) results[i]!.push(...(await measure(run.deliver, half)));
    for (const [i, run] of [...runs.entries()].reverse())
      results[i]!.push(...(await measure(run.deliver, REQUESTS - half)));
    const sorted = results.map((r) => r.sort((x, y) => x - y));
    const row = (name: string, s: number[]) =>
      `${name.padEnd(32)} ${percentile(s, 50).toFixed(1).padStart(7)} ms ${percentile(s, 99).toFixed(1).padStart(7)} ms ${s[s.length - 1]!.toFixed(1).padStart(7)} ms`;
    const ratio = (label: string, a: number[], b: number[]) =>
      `${label.padEnd(32)} p50 ${(percentile(a, 50) / percentile(b, 50)).toFixed(2)}x   p99 ${(percentile(a, 99) / percentile(b, 99)).toFixed(2)}x`;
    const [bareH, botH, bareS, botS] = sorted as [number[], number[], number[], number[]];
    console.log(
      `bench/ack: ${REQUESTS} slash commands per app and transport, ${CONCURRENCY} concurrent`,
    );
    console.log(
      `${''.padEnd(32)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}`,
    );
    for (const [i, run] of runs.entries()) console.log(row(run.name, sorted[i]!));
    console.log(ratio('ratio opsdeck/bare, http', botH, bareH));
    console.log(ratio('ratio opsdeck/bare, socket', botS, bareS));
    console.log(ratio('opsdeck socket/http', botS, botH));
    // Every opsdeck request must have done the real work: one job each (the bare apps enqueue none).
    const expected = 2 * (REQUESTS + WARMUP);
    const enqueued = await queue.count();
    console.log(`opsdeck enqueued ${enqueued} jobs for ${expected} requests`);
    if (enqueued !== expected) throw new Error('opsdeck did not enqueue one job per request');
    for (const [transport, bot, bare] of [
      ['http', botH, bareH],
      ['socket', botS, bareS],
    ] as const) {
      const p99 = percentile(bot, 99);
      const pass = p99 < 100 && p99 / percentile(bare, 99) <= 2;
      console.log(
        `goal (${transport}): p99 < 100 ms and within 2x of bare: ${pass ? 'met' : 'NOT met'}`,
      );
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    for (const child of children) child.kill('SIGTERM');
    for (const fake of fakes) await fake.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
