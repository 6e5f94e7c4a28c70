import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { ALICE, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { undocumentedActions } from '../helpers/iam';
import { answerText } from '../helpers/slack-text';

/**
 * `/deploy` end to end: signed slash commands into the real Bolt receiver, real worker processes,
 * the sandbox's EC2 instances (and static host lists) as targets, and a real command per host
 * (test/fixtures/deploy/fake-deploy.sh: writes its arguments and start/end times, sleeps, fails on
 * chosen hosts, notes a SIGTERM).
 */

const BOB = { id: 'U0BOB', name: 'bob' };
const SCRIPT = join(__dirname, '../fixtures/deploy/fake-deploy.sh');
const STATIC = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'];

describe('/deploy end to end', () => {
  let stack: E2eStack;
  let root: string;
  /** Each environment's marker directory (the script's first argument). */
  const dirOf = (env: string) => join(root, env);
  const deploy = (line: string, user = ALICE) => stack.slash(line, { command: '/deploy', user });

  const environment = (env: string, settings: Record<string, unknown>) => ({
    command: [SCRIPT, dirOf(env), '{host}', '{ref}', '{app}', '{env}'],
    hostTimeoutSeconds: 30,
    defaultRef: 'main',
    ...settings,
  });

  /** The script's start/end/term events of an environment, in time order. */
  function events(env: string): { kind: string; host: string; at: number }[] {
    const file = join(dirOf(env), 'events');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [kind, host, at] = line.split(' ');
        return { kind: kind!, host: host!, at: Number(at) };
      })
      .sort((a, b) => a.at - b.at);
  }

  /** The most hosts that ran at once, from the events. */
  function maxConcurrent(env: string): number {
    let running = 0;
    let max = 0;
    for (const event of events(env)) {
      running += event.kind === 'start' ? 1 : -1;
      max = Math.max(max, running);
    }
    return max;
  }

  const starts = (env: string, host?: string) =>
    events(env).filter((e) => e.kind === 'start' && (host === undefined || e.host === host));

  async function queued(line: string, user = ALICE): Promise<string> {
    const ack = answerText(await deploy(line, user));
    expect(ack).toContain(':inbox_tray: Queued');
    return jobIdIn(ack);
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-deploy-'));
    for (const env of ['prod', 'staging', 'canary', 'slow', 'resume', 'ghost'])
      mkdirSync(dirOf(env), { recursive: true });
    stack = new E2eStack(
      {
        access: {
          admins: 'operators',
          groups: { operators: { users: [ALICE.id, BOB.id] } },
          rules: [
            // Production needs a second person; the other environments do not.
            {
              command: 'deploy',
              targets: ['billing/prod'],
              groups: ['operators'],
              approval: { group: 'operators', distinct: true },
            },
            { command: 'deploy', targets: ['*'], groups: ['operators'] },
            { command: 'deploy *', targets: ['*'], groups: ['operators'] },
            { command: 'deploy status', groups: ['operators'] },
            { command: 'deploy output', groups: ['operators'] },
            { command: 'ops *', groups: ['operators'] },
          ],
        },
        deploy: {
          apps: {
            billing: {
              environments: {
                // The sandbox's three instances tagged app=billing env=prod.
                prod: environment('prod', {
                  targets: { ec2: { tags: { app: 'billing', env: 'prod' } } },
                  concurrency: 3,
                }),
                // Any ref (the baseline still holds): hostile refs reach the command as text.
                staging: environment('staging', {
                  targets: { hosts: STATIC },
                  concurrency: 2,
                  refPattern: '.*',
                }),
                canary: environment('canary', {
                  targets: { hosts: STATIC },
                  concurrency: 1,
                  failureThreshold: 2,
                }),
                slow: environment('slow', { targets: { hosts: STATIC }, concurrency: 2 }),
                resume: environment('resume', { targets: { hosts: STATIC }, concurrency: 2 }),
                ghost: environment('ghost', {
                  targets: { ec2: { tags: { app: 'billing', env: 'nowhere' } } },
                }),
              },
            },
          },
          outputDir: join(root, 'output'),
          // Far shorter than the slow deploys: their locks hold only because they are renewed
          // (every third of it; 2 s was too little on a loaded CI machine, a renewal came late).
          lockTtlSeconds: 5,
        },
        runbook: { progressIntervalMs: 0 },
      },
      { sandbox: { seed: true, config: { createDelayMs: 500 } } },
    );
    await stack.start();
    await stack.startWorker();
    writeFileSync(join(dirOf('staging'), 'sleep'), '0.4');
    writeFileSync(join(dirOf('canary'), 'sleep'), '0.1');
    writeFileSync(join(dirOf('slow'), 'sleep'), '20');
    writeFileSync(join(dirOf('resume'), 'sleep'), '1');
    // The hosts running when the worker is killed: still running when the job resumes.
    writeFileSync(join(dirOf('resume'), 'sleep-10.0.0.3'), '60');
    writeFileSync(join(dirOf('resume'), 'sleep-10.0.0.4'), '60');
    writeFileSync(join(dirOf('prod'), 'sleep'), '0.1');
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  describe('refuses, with the reason and the usage, and runs nothing:', () => {
    it.each([
      ['billing', '<env> is missing'],
      ['payroll prod', 'no app "payroll" in the deploy config (configured: billing)'],
      [
        'billing qa',
        'app billing has no environment "qa" (configured: prod, staging, canary, slow, resume, ghost)',
      ],
      ['billing staging --ref x', 'unknown option --ref'],
      ['billing staging -rf', 'unknown option -r'],
      ['billing staging -- -rf', '<ref>: must not start with -'],
      ['billing staging "v1\nrm"', '<ref>: contains U+000A (LINE FEED)'],
      ['billing staging "v1.2.3\u202e4pm"', '<ref>: contains U+202E (RIGHT-TO-LEFT OVERRIDE)'],
      ['billing canary main..x', "<ref>: must not contain .. (git's rules for a ref name)"],
      ['billing canary "v1 2"', "<ref>: must not contain a space (git's rules for a ref name)"],
      ['billing staging v1 extra', 'unexpected argument: extra'],
    ])('/deploy %s', async (line, message) => {
      const res = await deploy(line);
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(answerText(res)).toContain(message);
      expect(answerText(res)).toContain('/deploy <app> <env> [<ref>] [--queue] [--dry-run]');
      expect(await stack.runtime.opsQueue.count()).toBe(0);
    });
  });

  it('says which filters matched no running instance, and queues nothing', async () => {
    const res = await deploy('billing ghost v1');
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    expect(answerText(res)).toContain(
      ':warning: not deployed: no running EC2 instance matches: tag:app = "billing", tag:env = "nowhere"',
    );
    expect(await stack.runtime.opsQueue.count()).toBe(0);
  });

  it('--dry-run shows the resolved hosts and the exact commands, and runs nothing', async () => {
    const dry = answerText(await deploy('billing prod v1.2.3 --dry-run'));
    expect(dry).toContain('Dry run of `/deploy billing prod v1.2.3`: nothing was run or queued.');
    expect(dry).toContain('*Hosts* (3): 127.0.1.2, 127.0.1.3, 127.0.1.4');
    expect(dry).toContain(`• \`${SCRIPT} ${dirOf('prod')} 127.0.1.2 v1.2.3 billing prod\``);
    expect(dry).toContain('3 hosts at a time');
    expect(starts('prod')).toEqual([]);
    expect(await stack.runtime.opsQueue.count()).toBe(0);
  });

  it('deploys to the EC2 instances by tags once approved: announced, each host reported, recorded as deployed', async () => {
    const ack = answerText(await deploy('billing prod v1.2.3'));
    expect(ack).toContain('needs approval by someone other than you');
    const { approvalId, jobId, message: approval } = await stack.pendingApproval(ack);
    const plan = JSON.stringify(approval.blocks);
    // The approvers see the hosts and the exact command.
    expect(plan).toContain('hosts: 127.0.1.2, 127.0.1.3, 127.0.1.4');
    expect(plan).toContain(`${SCRIPT} ${dirOf('prod')} 127.0.1.2 v1.2.3 billing prod`);
    expect(starts('prod')).toEqual([]);
    await stack.click(APPROVE_ACTION_ID, approvalId, approval.ts, BOB);
    const { root: rootMessage, lines } = await stack.finishedThread(jobId, 'succeeded', 60_000);
    expect(rootMessage.text).toContain('deploy billing v1.2.3 to prod (3 hosts)');
    const all = lines.join('\n');
    expect(all).toContain(
      ':rocket: deploying *billing* to *prod* at `v1.2.3` (nothing deployed yet → v1.2.3), requested by alice: 3 hosts (127.0.1.2, 127.0.1.3, 127.0.1.4)',
    );
    for (const host of ['127.0.1.2', '127.0.1.3', '127.0.1.4'])
      expect(all).toMatch(
        new RegExp(`:white_check_mark: ${host.replace(/\./g, '\\.')} done in \\d+s`),
      );
    expect(all).toContain('*billing* `v1.2.3` is on *prod*');
    expect(all).toContain(':unlock: unlocked billing/prod');
    expect(
      starts('prod')
        .map((e) => e.host)
        .sort(),
    ).toEqual(['127.0.1.2', '127.0.1.3', '127.0.1.4']);
    const status = answerText(await deploy('status billing'));
    expect(status).toMatch(/\*billing\/prod\*: `v1\.2\.3` by alice, .* \(3\/3 hosts\)/);
    expect(answerText(await deploy('status'))).toContain('*billing/prod*');
    const history = answerText(await deploy('history billing prod'));
    expect(history).toContain('`v1.2.3` by alice: :white_check_mark: succeeded');
    const output = answerText(await deploy(`output ${jobId} 127.0.1.3`));
    expect(output).toContain('deploying billing v1.2.3 to 127.0.1.3');
    expect(output).toContain('done on 127.0.1.3');
  });

  it('never runs more hosts at once than the concurrency, and reaches it', async () => {
    const jobId = await queued('billing staging r42');
    await stack.finishedThread(jobId, 'succeeded', 60_000);
    expect(starts('staging')).toHaveLength(STATIC.length);
    expect(maxConcurrent('staging')).toBe(2);
    // Each host's output is kept in the history; none is left on the worker's disk.
    expect(existsSync(join(root, 'output', jobId))).toBe(false);
    expect(answerText(await deploy(`output ${jobId} 10.0.0.6`))).toContain('done on 10.0.0.6');
  });

  it('hostile values reach the command as plain arguments', async () => {
    const hostile = `; rm -rf "$HOME" $(touch ${join(root, 'pwned')}) \`id\` 'q' "dq"`;
    const jobId = await queued(`billing staging '${hostile.replace(/'/g, "'\\''")}'`);
    await stack.finishedThread(jobId, 'succeeded', 60_000);
    const args = readFileSync(join(dirOf('staging'), '10.0.0.4.args'), 'utf8').split('\n');
    expect(args.slice(0, 5)).toEqual([dirOf('staging'), '10.0.0.4', hostile, 'billing', 'staging']);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it('the failure threshold stops the rollout: failed hosts with their output, the rest not run', async () => {
    writeFileSync(join(dirOf('canary'), 'fail-10.0.0.2'), '');
    writeFileSync(join(dirOf('canary'), 'fail-10.0.0.3'), '');
    const jobId = await queued('billing canary v9');
    const { lines } = await stack.finishedThread(jobId, 'failed', 60_000);
    const all = lines.join('\n');
    expect(all).toContain(':x: 10.0.0.2 failed with exit code 3');
    expect(all).toContain('boom: 10.0.0.2 refused the release');
    expect(all).toContain(`Full output: \`/deploy output ${jobId} 10.0.0.2\``);
    expect(all).toContain(
      '2 hosts failed (10.0.0.2, 10.0.0.3): the failure threshold (2) stopped the rollout; 1 ok, 2 failed, 3 not run (10.0.0.4, 10.0.0.5, 10.0.0.6)',
    );
    expect(starts('canary').map((e) => e.host)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(answerText(await deploy('history billing canary'))).toContain(
      '`v9` by alice: :x: failed',
    );
    // The lock went with the job: the next deploy is not refused.
    expect(answerText(await deploy('status billing canary'))).not.toContain(':lock:');
  });

  it('a running deploy locks its app+env, past the lock TTL: a second one is refused with who holds it since when', async () => {
    const jobId = await queued('billing slow v1');
    await waitFor(() => starts('slow').length >= 2, 20_000, 'the first hosts to start');
    // Well past the lock's TTL (5 s): renewed while the deploy runs, it still keeps others out.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const refused = answerText(await deploy('billing slow v2', BOB));
    expect(refused).toMatch(
      new RegExp(
        `:lock: not deployed: billing/slow is locked by alice since <!date\\^\\d+\\^[^|]+\\|\\d{4}-[^>]+>.*: a deploy \\(job ${jobId}\\)`,
      ),
    );
    expect(refused).toContain(`/ops cancel ${jobId}`);
    // Cancel mid-rollout: no new host starts, the running ones are signalled.
    expect(answerText(await stack.slash(`cancel ${jobId}`, { user: BOB }))).toContain('Cancelling');
    const { lines } = await stack.finishedThread(jobId, 'cancelled', 60_000);
    const all = lines.join('\n');
    expect(all).toMatch(
      /:no_entry_sign: cancelled: 0 ok, 0 failed, 6 not run \(10\.0\.0\.1, .*\); ran: 10\.0\.0\.1, 10\.0\.0\.2/,
    );
    expect(all).toContain(':x: 10.0.0.1 was stopped by the cancel');
    const terms = events('slow')
      .filter((e) => e.kind === 'term')
      .map((e) => e.host);
    expect(terms.sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(starts('slow')).toHaveLength(2);
    expect(answerText(await deploy('history billing slow'))).toContain(':no_entry_sign: cancelled');
    // Unlocked by the cancel's cleanup.
    expect(answerText(await deploy('billing slow v2 --dry-run'))).not.toContain(':lock:');
  });

  it('manual locks: owner, reason and expiry; only the owner (or --force) unlocks', async () => {
    const locked = answerText(
      await deploy('lock billing staging db migration running --hours 2', BOB),
    );
    const until = /:lock: locked billing\/staging until <!date\^(\d+)\^[^|]+\|[\dT:Z-]+>/.exec(
      locked,
    );
    expect(Number(until?.[1]) * 1000).toBeGreaterThan(Date.now() + 2 * 3600_000 - 60_000);
    expect(Number(until?.[1]) * 1000).toBeLessThanOrEqual(Date.now() + 2 * 3600_000);
    const refused = answerText(await deploy('billing staging v3'));
    expect(refused).toMatch(
      /billing\/staging is locked by bob since .*: a manual lock, "db migration running"/,
    );
    expect(await stack.runtime.opsQueue.count()).toBe(0);
    expect(answerText(await deploy('unlock billing staging'))).toContain('is locked by bob');
    expect(answerText(await deploy('unlock billing staging', BOB))).toContain(
      ':unlock: unlocked billing/staging',
    );
    // A reason is free text: a right-to-left override and a broadcast stay, shown for what they are.
    await deploy('lock billing staging "again \u202e<!channel>" --hours 1', BOB);
    expect(
      ((await deploy('unlock billing staging --force')).body as { text: string }).text,
    ).toContain(`the lock was bob's: "again ⟨U+202E⟩&lt;!channel&gt;"`);
    expect(answerText(await deploy('lock billing staging'))).toContain('<reason>: is missing');
  });

  it('a worker killed mid-rollout: the new worker stops what it left running and runs no finished host again', async () => {
    const jobId = await queued('billing resume v7');
    // Two hosts finish (their results are checkpointed before the next ones start); kill while
    // 10.0.0.3 and 10.0.0.4 run.
    await waitFor(() => starts('resume').length >= 4, 30_000, 'the next hosts to start');
    // The hosts whose results the job had checkpointed: those must not run again.
    const state = (await stack.checkpoint(jobId))?.state as { results?: { host: string }[] };
    const recorded = (state.results ?? []).map((result) => result.host);
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    await stack.killWorker();
    // Run again, those hosts take the usual time.
    rmSync(join(dirOf('resume'), 'sleep-10.0.0.3'));
    rmSync(join(dirOf('resume'), 'sleep-10.0.0.4'));
    await stack.startWorker();
    const { lines } = await stack.finishedThread(jobId, 'succeeded', 120_000);
    const all = lines.join('\n');
    expect(all).toContain('resuming: ');
    for (const host of recorded) expect(starts('resume', host)).toHaveLength(1);
    // The commands the dead worker left running were stopped before their hosts ran again:
    // every host completed exactly once.
    for (const host of ['10.0.0.3', '10.0.0.4'])
      expect(all).toContain(`:warning: stopped ${host}'s command from before the interruption`);
    const ends = events('resume').filter((e) => e.kind === 'end');
    expect(ends.map((e) => e.host).sort()).toEqual(STATIC);
  }, 180_000);

  // Last, after every run above: with exactly docs/iam/deploy.json as its policy,
  // none of them would have failed for a missing permission.
  it('called no AWS action missing from docs/iam/deploy.json', () => {
    const { called, missing } = undocumentedActions(stack, 'deploy');
    expect(called).toEqual(expect.arrayContaining(['ec2:DescribeInstances']));
    expect(missing).toEqual([]);
  });
});
