import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { ALICE, BOB, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * `/deploy` on release days, end to end: signed slash commands into the real Bolt receiver, a
 * real worker process, static host lists and a real command per host
 * (test/fixtures/deploy/fake-deploy.sh): what each environment runs now → what it will run,
 * promotion gates, rollbacks, a queue behind the lock, canaries with health checks (a command,
 * test/fixtures/deploy/fake-health.sh, and a URL served here) and auto-rollback. The tests run in order: each starts from the history the previous ones left.
 */

const SCRIPT = join(__dirname, '../fixtures/deploy/fake-deploy.sh');
const HOSTS = ['10.0.1.1', '10.0.1.2', '10.0.1.3'];
const HEALTH = join(__dirname, '../fixtures/deploy/fake-health.sh');
const CANARY_HOSTS = ['10.0.2.1', '10.0.2.2', '10.0.2.3', '10.0.2.4', '10.0.2.5'];

describe('/deploy on release days, end to end', () => {
  let stack: E2eStack;
  let root: string;
  let health: Server;
  const sick = new Set<string>();
  const dirOf = (env: string) => join(root, env);
  const deploy = (line: string, user = ALICE) => stack.slash(line, { command: '/deploy', user });

  const environment = (env: string, settings: Record<string, unknown> = {}) => ({
    targets: { hosts: HOSTS },
    command: [SCRIPT, dirOf(env), '{host}', '{ref}', '{app}', '{env}'],
    hostTimeoutSeconds: 30,
    ...settings,
  });

  /** Asked by ALICE, approved by BOB, run to success: the thread. */
  async function approved(line: string, check: (plan: string) => void = () => {}) {
    const ack = answerText(await deploy(line));
    expect(ack).toContain('needs approval by someone other than you');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    check(JSON.stringify(message.blocks));
    await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
    return { jobId, ...(await stack.finishedThread(jobId, 'succeeded')) };
  }

  async function queued(line: string, user = ALICE): Promise<string> {
    const ack = answerText(await deploy(line, user));
    expect(ack).toContain(':inbox_tray: Queued');
    return jobIdIn(ack);
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-deploy-release-'));
    health = createServer((req, res) => {
      // /health/<host>: 503 for the hosts listed in `sick`.
      const host = decodeURIComponent(req.url!.split('/').pop()!);
      res.writeHead(sick.has(host) ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const { port } = health.address() as AddressInfo;
    for (const env of ['staging', 'production', 'busy', 'canary', 'web']) {
      mkdirSync(dirOf(env), { recursive: true });
      writeFileSync(join(dirOf(env), 'sleep'), '0.1');
    }
    stack = new E2eStack({
      access: {
        admins: 'operators',
        groups: { operators: { users: [ALICE.id, BOB.id] } },
        rules: [
          // Production needs a second person, a rollback as much as a deploy.
          {
            command: 'deploy',
            targets: ['shop/production'],
            groups: ['operators'],
            approval: { group: 'operators', distinct: true },
          },
          { command: 'deploy', targets: ['*'], groups: ['operators'] },
          { command: 'deploy *', targets: ['*'], groups: ['operators'] },
          { command: 'deploy status', groups: ['operators'] },
          { command: 'ops *', groups: ['operators'] },
        ],
      },
      deploy: {
        apps: {
          shop: {
            environments: {
              staging: environment('staging'),
              production: environment('production', { requireSucceededIn: ['staging'] }),
              busy: environment('busy', { concurrency: 3 }),
              canary: environment('canary', {
                targets: { hosts: CANARY_HOSTS },
                concurrency: 2,
                canary: 1,
                canaryPauseSeconds: 1,
                healthCheck: {
                  command: [HEALTH, dirOf('canary'), '{host}', '{ref}'],
                  timeoutSeconds: 5,
                  retries: 1,
                  retryDelaySeconds: 0,
                },
                autoRollback: true,
              }),
              web: environment('web', {
                targets: { hosts: ['10.0.3.1', '10.0.3.2', '10.0.3.3', '10.0.3.4'] },
                concurrency: 2,
                canary: '50%',
                failureThreshold: 1,
                healthCheck: {
                  url: `http://127.0.0.1:${port}/health/{host}`,
                  retries: 1,
                  retryDelaySeconds: 0,
                },
              }),
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
    health?.close();
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
      expect(answerText(res)).toContain('/deploy <app> <env> [<ref>] [--queue] [--dry-run]');
      expect(await stack.runtime.opsQueue.count()).toBe(0);
    }
    // v1.4.1 succeeded there: it goes (once approved).
    const { lines } = await approved('shop production v1.4.1');
    expect(lines.join('\n')).toContain('*shop* `v1.4.1` is on *production*');
  }, 60_000);

  it('rollback: the ref that succeeded before the current one, planned and approved as a deploy, marked as a rollback', async () => {
    const refused = answerText(await deploy('rollback shop production'));
    expect(refused).toContain(
      'nothing to roll back to: v1.4.1 is the only ref that succeeded on shop/production',
    );
    expect(refused).toContain('/deploy rollback <app> <env> [--to <ref>] [--queue] [--dry-run]');
    await approved('shop production v1.4.3');
    // v1.4.2 never succeeded on production: not a rollback target.
    expect(answerText(await deploy('rollback shop production --to v1.4.2'))).toContain(
      '--to: v1.4.2 never succeeded on shop/production',
    );
    expect(await stack.runtime.opsQueue.count()).toBe(0);

    // The same approval rule as a deploy of shop/production; the plan comes from the runbook.
    const {
      jobId,
      root: rootMessage,
      lines,
    } = await approved('rollback shop production', (plan) => {
      expect(plan).toContain('roll back shop on production to v1.4.1 (3 hosts)');
      expect(plan).toContain(
        'announce the rollback of 3 hosts (v1.4.3 → v1.4.1) in the alert channel; the history records its start as a rollback',
      );
      expect(plan).toContain(`${SCRIPT} ${dirOf('production')} 10.0.1.1 v1.4.1 shop production`);
    });
    expect(rootMessage.text).toContain('roll back shop on production to v1.4.1');
    const all = lines.join('\n');
    expect(all).toContain(
      ':rewind: *rollback*: deploying *shop* to *production* at `v1.4.1` again (v1.4.3 → v1.4.1), requested by alice',
    );
    expect(all).toContain(':white_check_mark: rolled back: *shop* `v1.4.1` is on *production*');
    const history = answerText(await deploy('history shop production'));
    expect(history).toMatch(
      new RegExp(
        `:rewind: rollback to \`v1\\.4\\.1\` by alice: :white_check_mark: succeeded.*${jobId}`,
      ),
    );
    expect(history.match(/rollback/g)).toHaveLength(1);
    expect(answerText(await deploy('status shop production'))).toContain('`v1.4.1`');
    // The audit trail names it as the deploy it is authorized as.
    const audit = answerText(await stack.slash(`audit ${jobId}`));
    expect(audit).toContain('*deploy* on `shop/production`: *succeeded*');
    expect(audit).toContain('approved by <@U0BOB>');
    // --to a ref that succeeded there before: v1.4.3 again.
    await approved('rollback shop production --to v1.4.3', (plan) =>
      expect(plan).toContain('(v1.4.1 → v1.4.3)'),
    );
  }, 120_000);

  it('--queue waits in line for the lock instead of being refused, shows its place, can be cancelled, and runs when the lock frees', async () => {
    writeFileSync(join(dirOf('busy'), 'sleep'), '3');
    const events = () => {
      const file = join(dirOf('busy'), 'events');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' '))
        .sort((a, b) => Number(a[2]) - Number(b[2]))
        .map(([kind]) => kind);
    };
    const first = await queued('shop busy v1');
    await waitFor(() => events().length >= 3 || null, 20_000, 'the first deploy to start');
    const refused = answerText(await deploy('shop busy v2', BOB));
    expect(refused).toContain(`:lock: not deployed: shop/busy is locked by alice`);
    expect(refused).toContain('Or ask again with `--queue` to wait in line for it.');

    const second = await queued('shop busy v2 --queue', BOB);
    const line = (jobId: string, text: string) =>
      waitFor(
        () => stack.thread(jobId).replies.some((reply) => reply.includes(text)) || null,
        20_000,
        `job ${jobId} to say ${text}`,
      );
    await line(second, ':hourglass_flowing_sand: waiting for the lock of shop/busy: next in line');
    const third = await queued('shop busy v3 --queue');
    await line(third, `waiting for the lock of shop/busy: 2nd in line, after ${second}`);
    expect(answerText(await deploy('status shop busy'))).toContain(
      `waiting in line for shop/busy: ${second}, ${third}`,
    );
    // The third leaves the line.
    expect(answerText(await stack.slash(`cancel ${third}`))).toContain('Cancelling');
    await stack.finishedThread(third, 'cancelled');

    await stack.finishedThread(first, 'succeeded');
    const { lines } = await stack.finishedThread(second, 'succeeded', 60_000);
    expect(lines.join('\n')).toContain('*shop* `v2` is on *busy*');
    // One after the other: the second's hosts started after the first's ended; the third never ran.
    expect(events()).toEqual([
      ...Array(3).fill('start'),
      ...Array(3).fill('end'),
      ...Array(3).fill('start'),
      ...Array(3).fill('end'),
    ]);
    const history = answerText(await deploy('history shop busy'));
    expect(history).toContain('`v1` by alice: :white_check_mark: succeeded');
    expect(history).toContain('`v2` by bob: :white_check_mark: succeeded');
    expect(history).not.toContain('`v3`');

    // While a deploy waits in line (here between two deploys, the lock free), one that did not
    // queue does not go ahead of it.
    const waiting = stack.runtime.deploys!.waiting;
    await waiting.wait('shop', 'busy', 'deploy-0123456789', 60_000);
    const jumped = answerText(await deploy('shop busy v4'));
    expect(jumped).toContain(
      ':hourglass_flowing_sand: not deployed: 1 deploy waits in line for shop/busy (deploy-0123456789). Ask again with `--queue` to join the line.',
    );
    expect(await stack.runtime.opsQueue.getJobCountByTypes('waiting', 'active')).toBe(0);
    await waiting.leave('shop', 'busy', 'deploy-0123456789');
  }, 120_000);

  it('a deploy approved after a line formed behind the lock does not go ahead of it: the worker refuses it', async () => {
    // Through the promotion gate: the ref succeeded in staging.
    await stack.finishedThread(await queued('shop staging v-late'), 'succeeded');
    const ack = answerText(await deploy('shop production v-late'));
    expect(ack).toContain('needs approval by someone other than you');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    // While the approval waits, another deploy joins the line for shop/production.
    const waiting = stack.runtime.deploys!.waiting;
    await waiting.wait('shop', 'production', 'deploy-0123456789', 60_000);
    try {
      await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
      const { lines } = await stack.finishedThread(jobId, 'failed');
      expect(lines.join('\n')).toContain(
        '1 deploy waits in line for shop/production (deploy-0123456789); ask again with --queue to join the line',
      );
      // Nothing ran on a host, and the history does not list it.
      expect(answerText(await deploy('history shop production'))).not.toContain('v-late');
    } finally {
      await waiting.leave('shop', 'production', 'deploy-0123456789');
    }
  }, 60_000);

  describe('canary and health checks', () => {
    const canaryDir = () => dirOf('canary');
    /** Which ref each host's last command ran (the script's arguments). */
    const refOn = (host: string) =>
      readFileSync(join(canaryDir(), `${host}.args`), 'utf8').split('\n')[2];
    const checked = () => readFileSync(join(canaryDir(), 'health'), 'utf8').trim().split('\n');

    it('runs the canary alone, pauses, then the rest, each host checked after its deploy', async () => {
      const jobId = await queued('shop canary v1');
      const { lines } = await stack.finishedThread(jobId, 'succeeded');
      const all = lines.join('\n');
      expect(all).toContain(':hatching_chick: canary ok on 10.0.2.1; the other 4 hosts in 1s');
      expect(all).toMatch(/:white_check_mark: 10\.0\.2\.1 done in \d+s, healthy/);
      // The canary ran (and was checked) before any other host started.
      expect(checked()[0]).toBe('10.0.2.1 v1');
      expect(checked().sort()).toEqual(CANARY_HOSTS.map((host) => `${host} v1`).sort());
    }, 60_000);

    it('a canary failing its health check stops the rollout; auto-rollback puts the previous ref back and reports both', async () => {
      writeFileSync(join(canaryDir(), 'unhealthy-10.0.2.1-v2'), '');
      const plan = answerText(await deploy('shop canary v2 --dry-run'));
      expect(plan).toContain(
        'canary: 10.0.2.1 alone first (any failing stops the rollout), then a pause of 1s',
      );
      expect(plan).toContain(
        `health check after each host: ${HEALTH} ${canaryDir()} 10.0.2.1 v2 (each attempt 5 s at most, 1 retry 0 s apart)`,
      );
      expect(plan).toContain('auto-rollback');
      const jobId = await queued('shop canary v2');
      const { lines } = await stack.finishedThread(jobId, 'failed');
      const all = lines.join('\n');
      expect(all).toContain(
        ':x: 10.0.2.1 failed its health check after 2 attempts: exit code 1: unhealthy: 10.0.2.1 answers 500 on v2',
      );
      expect(all).toContain(
        ':rewind: *auto-rollback* of shop/canary after: 1 host failed (10.0.2.1): the canary failed (10.0.2.1), so the other hosts did not run',
      );
      expect(all).toContain('Deploying again what ran before: v1 on 10.0.2.1');
      expect(all).toContain(':white_check_mark: auto-rollback: v1 back on 1/1 (10.0.2.1)');
      // The other hosts never got v2; the canary runs v1 again.
      for (const host of CANARY_HOSTS) expect(refOn(host)).toBe('v1');
      const history = answerText(await deploy('history shop canary'));
      expect(history).toContain('`v2` by alice: :x: failed');
      expect(history).toContain(':rewind: rollback to `v1` by alice: :white_check_mark: succeeded');
      // The history knows every host runs v1 again.
      expect(answerText(await deploy('shop canary v3 --dry-run'))).toContain('(v1 → v3)');
    }, 60_000);

    it('past the canary, the failure threshold stops the rollout and every host done is rolled back', async () => {
      writeFileSync(join(canaryDir(), 'unhealthy-10.0.2.3-v3'), '');
      // 10.0.2.2 (beside 10.0.2.3) still runs when 10.0.2.3 fails: no other host starts.
      writeFileSync(join(canaryDir(), 'sleep-10.0.2.2'), '1.5');
      const jobId = await queued('shop canary v3');
      const { lines } = await stack.finishedThread(jobId, 'failed');
      const all = lines.join('\n');
      expect(all).toContain(':x: 10.0.2.3 failed its health check after 2 attempts');
      expect(all).toContain('the failure threshold (1) stopped the rollout');
      expect(all).toMatch(
        /Deploying again what ran before: v1 on 10\.0\.2\.1, 10\.0\.2\.2, 10\.0\.2\.3/,
      );
      expect(all).toContain('auto-rollback: v1 back on 3/3');
      expect(all).toContain('not run (10.0.2.4, 10.0.2.5)');
      for (const host of CANARY_HOSTS) expect(refOn(host)).toBe('v1');
      rmSync(join(canaryDir(), 'sleep-10.0.2.2'));
    }, 60_000);

    it('an HTTP health check: a host answering 503 is a failed host', async () => {
      sick.add('10.0.3.1');
      const jobId = await queued('shop web v1');
      const { lines } = await stack.finishedThread(jobId, 'failed');
      const all = lines.join('\n');
      expect(all).toContain(':x: 10.0.3.1 failed its health check after 2 attempts: HTTP 503');
      // 50% of 4 hosts: a canary of two, which fails; the other two never run.
      expect(all).toContain('the canary failed (10.0.3.1, 10.0.3.2)');
      expect(all).toContain('not run (10.0.3.3, 10.0.3.4)');
      sick.clear();
      const next = await queued('shop web v2');
      expect((await stack.finishedThread(next, 'succeeded')).lines.join('\n')).toContain(
        ':hatching_chick: canary ok on 10.0.3.1, 10.0.3.2; now the other 2 hosts',
      );
    }, 60_000);
  });
});
