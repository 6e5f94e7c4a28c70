import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import mysql from 'mysql2/promise';
import { startFakeSlackApi } from '../../devkit/slack/fake-slack-api';
import { slackSignatureHeaders } from '../../devkit/slack/sign-request';
import { slashCommandBody } from '../../devkit/slack/slack-payloads';

/**
 * bench/ack: Slack-signed slash commands against opsdeck's HTTP receiver (the full front door:
 * verify, parse, plan, enqueue into Redis, ack) and against a bare Bolt app that acks without
 * work, side by side in one run. Prints p50/p99 for both and the ratio.
 * Goal: opsdeck p99 under 100 ms and within 2x of the bare app.
 *
 *   npm run bench:ack [-- --requests 1000 --concurrency 50]
 */
const ROOT = join(__dirname, '../..');
const REQUESTS = Number(argument('--requests') ?? 1000);
const CONCURRENCY = Number(argument('--concurrency') ?? 50);
const WARMUP = 100;
const SECRET = randomBytes(16).toString('hex');
const REDIS_URL = `redis://127.0.0.1:${process.env.OPSDECK_REDIS_PORT ?? 6380}`;
const MYSQL_PORT = Number(process.env.OPSDECK_MYSQL_PORT ?? 3307);

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function startServer(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}):\n${output}`)));
  });
  return { child, port };
}

async function measure(port: number, count: number): Promise<number[]> {
  const url = `http://127.0.0.1:${port}/slack/events`;
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
      const res = await fetch(url, {
        method: 'POST',
        headers: slackSignatureHeaders(SECRET, body),
        body,
      });
      await res.text();
      latencies.push(performance.now() - started);
      if (res.status !== 200) throw new Error(`HTTP ${res.status} from port ${port}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const prefix = `bench-ack-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-bench-'));
  const config = join(dir, 'opsdeck.yaml');
  const slack = await startFakeSlackApi();
  const database = prefix.replace(/-/g, '_');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: MYSQL_PORT, user: 'root' });
  await admin.query(`CREATE DATABASE \`${database}\``);
  writeFileSync(
    config,
    [
      `slack: { mode: http, signingSecretEnv: BENCH_SIGNING_SECRET, botTokenEnv: BENCH_BOT_TOKEN, apiUrl: "${slack.url}" }`,
      'http: { host: 127.0.0.1, port: 0 }',
      `redis: { url: "${REDIS_URL}", prefix: ${prefix} }`,
      `mysql: { host: 127.0.0.1, port: ${MYSQL_PORT}, user: root, database: ${database} }`,
      'access: { groups: { bench: { users: [U0BENCH] } }, rules: [{ command: "*", groups: [bench] }] }',
      'log: { level: info }',
    ].join('\n'),
  );
  const env = {
    OPSDECK_CONFIG: config,
    BENCH_SIGNING_SECRET: SECRET,
    BENCH_BOT_TOKEN: 'xoxb-bench-0000-0000',
    BENCH_SLACK_API_URL: slack.url,
  };
  const bare = await startServer('bench/ack/bare-app.ts', env, /listening on (\d+)/);
  const bot = await startServer('src/app/bot.ts', env, /"port":(\d+),"mode"/);
  const queue = new Queue('ops', { connection: { url: REDIS_URL }, prefix });
  try {
    await measure(bare.port, WARMUP);
    await measure(bot.port, WARMUP);
    // Interleave the two runs in halves so machine noise hits both alike.
    const half = Math.floor(REQUESTS / 2);
    const bareRuns = [...(await measure(bare.port, half))];
    const botRuns = [...(await measure(bot.port, half))];
    botRuns.push(...(await measure(bot.port, REQUESTS - half)));
    bareRuns.push(...(await measure(bare.port, REQUESTS - half)));
    const b = bareRuns.sort((x, y) => x - y);
    const o = botRuns.sort((x, y) => x - y);
    const row = (name: string, s: number[]) =>
      `${name.padEnd(26)} ${percentile(s, 50).toFixed(1).padStart(7)} ms ${percentile(s, 99).toFixed(1).padStart(7)} ms ${s[s.length - 1]!.toFixed(1).padStart(7)} ms`;
    const p99 = percentile(o, 99);
    const ratio50 = percentile(o, 50) / percentile(b, 50);
    const ratio99 = p99 / percentile(b, 99);
    console.log(`bench/ack: ${REQUESTS} signed slash commands per app, ${CONCURRENCY} concurrent`);
    console.log(
      `${''.padEnd(26)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}`,
    );
    console.log(row('bare Bolt (ack only)', b));
    console.log(row('opsdeck (parse+enqueue)', o));
    console.log(
      `ratio opsdeck/bare          p50 ${ratio50.toFixed(2)}x   p99 ${ratio99.toFixed(2)}x`,
    );
    // Every opsdeck request must have done the real work: one job each (the bare app enqueues none).
    const enqueued = await queue.count();
    console.log(`opsdeck enqueued ${enqueued} jobs for ${REQUESTS + WARMUP} requests`);
    if (enqueued !== REQUESTS + WARMUP)
      throw new Error('opsdeck did not enqueue one job per request');
    const pass = p99 < 100 && ratio99 <= 2;
    console.log(`goal: p99 < 100 ms and within 2x of bare: ${pass ? 'met' : 'NOT met'}`);
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    bare.child.kill('SIGTERM');
    bot.child.kill('SIGTERM');
    await slack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
