import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { stringify } from 'yaml';
import { FeedServer } from '../../helpers/feed-server';
import {
  createTestDatabase,
  deleteRedisPrefix,
  localMysqlSection,
  REDIS_URL,
  TEST_QUEUE_KEY,
  uniqueName,
} from '../../helpers/services';
import { waitFor } from '../../helpers/wait-for';

const OPSDECK = join(__dirname, '../../../bin/opsdeck');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `opsdeck worker …` as a user starts it, its JSON log lines collected. */
describe('opsdeck worker roles (real processes, Redis, MariaDB, a feed on loopback)', () => {
  const prefix = uniqueName('roles');
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  let server: FeedServer;
  let database: { name: string; drop: () => Promise<void> };
  let env: NodeJS.ProcessEnv;
  const started: Started[] = [];

  beforeAll(async () => {
    server = await new FeedServer().start();
    server.serve('/api/v2/incidents.json', { body: JSON.stringify({ incidents: [] }) });
    server.serve('/api/v2/scheduled-maintenances.json', {
      body: JSON.stringify({ scheduled_maintenances: [] }),
    });
    database = await createTestDatabase('roles');
    const config = join(mkdtempSync(join(tmpdir(), 'opsdeck-roles-')), 'opsdeck.yaml');
    writeFileSync(
      config,
      stringify({
        slack: { mode: 'http', signingSecretEnv: 'ROLES_SIGNING', botTokenEnv: 'ROLES_BOT' },
        http: { host: '127.0.0.1', workerPort: 0, feedsWorkerPort: 0 },
        redis: { url: REDIS_URL, prefix },
        mysql: localMysqlSection(database.name),
        feeds: { list: [{ name: 'local', kind: 'statuspage', url: server.url, pollSeconds: 1 }] },
      }),
    );
    env = {
      ...process.env,
      OPSDECK_CONFIG: config,
      ROLES_SIGNING: 'roles-signing-secret-0123456789',
      ROLES_BOT: 'xoxb-roles-0000000000-1111111111-abcdef',
      OPSDECK_QUEUE_KEY: TEST_QUEUE_KEY,
    };
  });

  afterAll(async () => {
    for (const { child } of started) if (child.exitCode === null) child.kill('SIGKILL');
    await server.stop();
    await database.drop();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  });

  function worker(args: string[]): Started {
    const child = spawn(OPSDECK, ['worker', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const handle = { child, output: () => output, exited };
    started.push(handle);
    return handle;
  }

  const lines = (output: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('without a role: runbooks in the process, feeds in a child that polls and dies with it', async () => {
    const { child, output, exited } = worker([]);
    await waitFor(
      () => {
        const ready = lines(output())
          .filter((l) => l.msg === 'worker ready')
          .map((l) => l.role);
        return ready.includes('runbooks') && ready.includes('feeds');
      },
      60_000,
      'both roles ready',
    );
    const feedsPid = lines(output()).find((l) => l.msg === 'feeds worker process started')!
      .pid as number;
    expect(feedsPid).not.toBe(child.pid);
    const names = new Map(lines(output()).map((l) => [l.pid, l.name]));
    expect(names.get(child.pid)).toBe('opsdeck-worker');
    expect(names.get(feedsPid)).toBe('opsdeck-worker-feeds');
    await waitFor(() => server.count('/api/v2/incidents.json').total > 0, 30_000, 'a poll');
    // Only the feeds process polls: the one without a role has no feed relay.
    expect(
      lines(output())
        .filter((l) => l.msg === 'status feed relay started')
        .map((l) => l.pid),
    ).toEqual([feedsPid]);

    child.kill('SIGKILL');
    await exited;
    await waitFor(() => !alive(feedsPid), 30_000, 'the feeds child to stop after its parent died');
  });

  it('without a role: SIGTERM stops both, cleanly', async () => {
    const { child, output, exited } = worker([]);
    await waitFor(
      () => lines(output()).filter((l) => l.msg === 'worker ready').length === 2,
      60_000,
      'both roles ready',
    );
    const feedsPid = lines(output()).find((l) => l.msg === 'feeds worker process started')!
      .pid as number;
    child.kill('SIGTERM');
    await expectCleanExit(exited, output);
    expect(alive(feedsPid)).toBe(false);
    expect(output()).not.toMatch(/restarting it/);
  });

  it('a SIGTERM while the worker is still starting stops it cleanly once it is up', async () => {
    const { child, output, exited } = worker(['--role', 'runbooks']);
    await waitFor(() => output().includes('"msg":"starting"'), 60_000, 'starting');
    expect(output()).not.toContain('worker ready');
    child.kill('SIGTERM');
    await expectCleanExit(exited, output);
    expect(output()).toContain('shutting down');
  });

  it('--role runbooks starts no feed relay; a bad role is refused with the usage', async () => {
    const { child, output, exited } = worker(['--role', 'runbooks']);
    await waitFor(() => output().includes('worker ready'), 60_000, 'ready');
    expect(lines(output()).map((l) => l.msg)).not.toContain('status feed relay started');
    expect(lines(output()).find((l) => l.msg === 'worker ready')!.role).toBe('runbooks');
    child.kill('SIGTERM');
    await expectCleanExit(exited, output);

    const bad = worker(['--role', 'feed']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toBe(
      'opsdeck worker: --role must be one of runbooks, feeds, all, got "feed"\nusage: opsdeck worker [--role runbooks|feeds|all]\n',
    );
  });
});

/** Exit code 0, or a failure that shows the process's log: why it did not exit cleanly. */
async function expectCleanExit(exited: Promise<number | null>, output: () => string) {
  const code = await exited;
  if (code !== 0) throw new Error(`the worker exited with ${String(code)}; its log:\n${output()}`);
}
