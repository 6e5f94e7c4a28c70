import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALICE, BOB, E2eStack, jobIdIn } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * `/deploy` on release days, end to end: signed slash commands into the real Bolt receiver, a
 * real worker process, static host lists and a real command per host
 * (test/fixtures/deploy/fake-deploy.sh): what each environment runs now → what it will run,
 * promotion gates. The tests run in order: each starts from the history the previous ones left.
 */

const SCRIPT = join(__dirname, '../fixtures/deploy/fake-deploy.sh');
const HOSTS = ['10.0.1.1', '10.0.1.2', '10.0.1.3'];

describe('/deploy on release days, end to end', () => {
  let stack: E2eStack;
  let root: string;
  const dirOf = (env: string) => join(root, env);
  const deploy = (line: string, user = ALICE) => stack.slash(line, { command: '/deploy', user });

  const environment = (env: string, settings: Record<string, unknown> = {}) => ({
    targets: { hosts: HOSTS },
    command: [SCRIPT, dirOf(env), '{host}', '{ref}', '{app}', '{env}'],
    hostTimeoutSeconds: 30,
    ...settings,
  });

  async function queued(line: string, user = ALICE): Promise<string> {
    const ack = answerText(await deploy(line, user));
    expect(ack).toContain(':inbox_tray: Queued');
    return jobIdIn(ack);
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-deploy-release-'));
    for (const env of ['staging', 'production']) {
      mkdirSync(dirOf(env), { recursive: true });
      writeFileSync(join(dirOf(env), 'sleep'), '0.1');
    }
    stack = new E2eStack({
      access: {
        admins: 'operators',
        groups: { operators: { users: [ALICE.id, BOB.id] } },
        rules: [
          { command: 'deploy', targets: ['*'], groups: ['operators'] },
          { command: 'deploy *', targets: ['*'], groups: ['operators'] },
          { command: 'ops *', groups: ['operators'] },
        ],
      },
      deploy: {
        apps: {
          shop: {
            environments: {
              staging: environment('staging'),
              production: environment('production', { requireSucceededIn: ['staging'] }),
            },
          },
        },
        outputDir: join(root, 'output'),
      },
      runbook: { progressIntervalMs: 0 },
    });
    await stack.start();
    await stack.startWorker();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('the plan and the announcement show what runs now → what will run, per host where hosts differ', async () => {
    const first = answerText(await deploy('shop staging v1.4.1 --dry-run'));
    expect(first).toContain('(nothing deployed yet → v1.4.1)');
    await stack.finishedThread(await queued('shop staging v1.4.1'), 'succeeded');

    // The plan's announce step (made from the runbook) says it; so does the announcement.
    expect(answerText(await deploy('shop staging v1.4.2 --dry-run'))).toContain(
      'announce the deploy of 3 hosts (v1.4.1 → v1.4.2)',
    );
    // v1.4.2 fails on the last host: that host still runs v1.4.1.
    writeFileSync(join(dirOf('staging'), 'fail-10.0.1.3'), '');
    const failing = await queued('shop staging v1.4.2');
    const { lines } = await stack.finishedThread(failing, 'failed');
    expect(lines.join('\n')).toContain(
      ':rocket: deploying *shop* to *staging* at `v1.4.2` (v1.4.1 → v1.4.2), requested by alice',
    );
    rmSync(join(dirOf('staging'), 'fail-10.0.1.3'));

    expect(answerText(await deploy('shop staging v1.4.3 --dry-run'))).toContain(
      '(v1.4.2 on 10.0.1.1, 10.0.1.2; v1.4.1 on 10.0.1.3 → v1.4.3)',
    );
    const next = await queued('shop staging v1.4.3', BOB);
    const thread = await stack.finishedThread(next, 'succeeded');
    expect(thread.lines.join('\n')).toContain(
      'at `v1.4.3` (v1.4.2 on 10.0.1.1, 10.0.1.2; v1.4.1 on 10.0.1.3 → v1.4.3), requested by bob',
    );
  }, 120_000);

  it('a promotion gate refuses a ref that has not succeeded in staging, saying where, and queues nothing', async () => {
    // v1.4.2 failed in staging, v9 never ran there.
    for (const ref of ['v1.4.2', 'v9']) {
      const res = await deploy(`shop production ${ref}`);
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(answerText(res)).toContain(
        `<ref>: ${ref} has not succeeded in staging; shop/production takes a ref only once it succeeded in staging (requireSucceededIn)`,
      );
      expect(answerText(res)).toContain('/deploy <app> <env> [<ref>] [--dry-run]');
      expect(await stack.runtime.opsQueue.count()).toBe(0);
    }
    // v1.4.3 succeeded there: it goes.
    const jobId = await queued('shop production v1.4.3');
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines.join('\n')).toContain('*shop* `v1.4.3` is on *production*');
  }, 60_000);
});
