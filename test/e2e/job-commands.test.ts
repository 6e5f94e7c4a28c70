import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANCEL_ACTION_ID } from '../../src/queue/job-thread-observer';
import { ALICE, BOB, CAROL, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { answerText, shown } from '../helpers/slack-text';

/**
 * Commands on a job are authorized against the job's own command and target, end to end: signed
 * slash commands and Cancel clicks into the real Bolt receiver, real workers running /deploy to
 * two environments (static hosts, test/fixtures/deploy/fake-deploy.sh). Whoever may cancel or
 * read one environment's jobs gets nowhere with the other's.
 */

// BOB: deploys staging only
// CAROL: may cancel staging deploys, deploys nothing
const SCRIPT = join(__dirname, '../fixtures/deploy/fake-deploy.sh');
const HOSTS = ['10.0.0.1', '10.0.0.2'];

describe('job commands across targets (end to end)', () => {
  let stack: E2eStack;
  let root: string;
  let staging: string;
  let canary: string;
  const text = answerText;
  const ops = (line: string, user: { id: string; name: string }) => stack.slash(line, { user });
  const deploy = (line: string, user: { id: string; name: string }) =>
    stack.slash(line, { command: '/deploy', user });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-job-commands-'));
    const environment = (env: string) => {
      mkdirSync(join(root, env));
      return {
        command: [SCRIPT, join(root, env), '{host}', '{ref}', '{app}', '{env}'],
        targets: { hosts: HOSTS },
        defaultRef: 'main',
        hostTimeoutSeconds: 60,
      };
    };
    stack = await new E2eStack({
      access: {
        admins: 'operators',
        groups: {
          operators: { users: [ALICE.id] },
          stagers: { users: [BOB.id] },
          cancellers: { users: [CAROL.id] },
        },
        rules: [
          { command: 'deploy', targets: ['billing/*'], groups: ['operators'] },
          { command: 'deploy', targets: ['billing/staging'], groups: ['stagers'] },
          { command: 'deploy output', groups: ['operators', 'stagers', 'cancellers'] },
          { command: 'ops audit', groups: ['operators', 'stagers', 'cancellers'] },
          { command: 'ops cancel', targets: ['deploy billing/staging'], groups: ['cancellers'] },
          { command: 'ops *', groups: ['operators'] },
        ],
      },
      deploy: {
        apps: {
          billing: {
            environments: { staging: environment('staging'), canary: environment('canary') },
          },
        },
        outputDir: join(root, 'output'),
      },
    }).start();

    await stack.startWorker();
    writeFileSync(join(root, 'canary', 'sleep'), '0.1');
    writeFileSync(join(root, 'staging', 'sleep'), '0.1');
    canary = jobIdIn(text(await deploy('billing canary v1', ALICE)));
    staging = jobIdIn(text(await deploy('billing staging v1', ALICE)));
    for (const jobId of [canary, staging]) await stack.finishedThread(jobId, 'succeeded');
  }, 120_000);
  afterAll(() => stack.stop());

  it("/ops audit needs read access to the job's target", async () => {
    expect(text(await ops(`audit ${canary}`, BOB))).toBe(
      `:no_entry: Refused: \`ops audit\` on job \`${canary}\` (\`deploy\` on \`billing/canary\`) needs read access to \`deploy\` on \`billing/canary\`: \`deploy\` on \`billing/canary\` is allowed to group operators; you are in none of them. Ask <@U0ALICE> (group operators).`,
    );
    expect(text(await ops(`audit ${staging}`, BOB))).toContain(
      `*deploy* on \`billing/staging\`: *`,
    );
    expect(text(await ops(`audit ${canary}`, ALICE))).toContain(
      `*deploy* on \`billing/canary\`: *`,
    );
    const denied = await waitFor(
      async () =>
        (await stack.runtime.auditStore.query({ actor: BOB.id })).find((r) => r.type === 'denied'),
      10_000,
      "BOB's denial in the audit trail",
    );
    expect(denied.detailJson).toContain('needs read access to');
  });

  it("/deploy output <job> <host> needs read access to the job's target", async () => {
    expect(text(await deploy(`output ${canary} 10.0.0.1`, BOB))).toContain(
      `:no_entry: Refused: \`deploy output\` on job \`${canary}\` (\`deploy\` on \`billing/canary\`) needs read access`,
    );
    expect(text(await deploy(`output ${staging} 10.0.0.1`, BOB))).toContain(
      `*10.0.0.1* in \`${staging}\`: ok`,
    );
    // CAROL may cancel staging deploys, not read them: cancelling is not reading.
    expect(text(await deploy(`output ${staging} 10.0.0.1`, CAROL))).toContain(
      'needs read access to `deploy` on `billing/staging`',
    );
  });

  it("/ops cancel needs a rule for cancelling that command on that target, or the job's own rule", async () => {
    // BOB deploys staging himself (the job's own rule), but not canary.
    expect(text(await ops(`cancel ${staging}`, BOB))).toBe(
      `Job \`${staging}\` already finished (completed); nothing to cancel.`,
    );
    expect(text(await ops(`cancel ${canary}`, BOB))).toBe(
      `:no_entry: Refused: cancelling job \`${canary}\` (\`deploy\` on \`billing/canary\`) needs a rule for \`ops cancel\` whose targets match \`deploy billing/canary\` (no access rule covers \`ops cancel\` on \`deploy billing/canary\`), or one that lets you run \`deploy\` on \`billing/canary\` (\`deploy\` on \`billing/canary\` is allowed to group operators; you are in none of them). Ask <@U0ALICE> (group operators).`,
    );
    // CAROL's rule names staging deploys only.
    expect(text(await ops(`cancel ${staging}`, CAROL))).toContain('already finished');
    expect(text(await ops(`cancel ${canary}`, CAROL))).toContain(
      'needs a rule for `ops cancel` whose targets match `deploy billing/canary` (no access rule covers `ops cancel` on `deploy billing/canary`)',
    );
    expect(text(await ops('cancel deploy-0123456789', CAROL))).toBe(
      'No job `deploy-0123456789` is known (not in the queue, nothing in the audit trail). `/ops jobs` lists running and recent jobs.',
    );
  });

  it('the Cancel button is checked the same way, on a running job', async () => {
    writeFileSync(join(root, 'canary', 'sleep'), '30');
    const running = jobIdIn(text(await deploy('billing canary v2', ALICE)));
    const rootMessage = await waitFor(() => stack.thread(running).root, 15_000, 'the root message');
    expect(shown(await stack.click(CANCEL_ACTION_ID, running, rootMessage.ts, CAROL))).toContain(
      `Refused: cancelling job \`${running}\` (\`deploy\` on \`billing/canary\`) needs a rule for \`ops cancel\``,
    );
    expect(await stack.runtime.jobs.isRunning(running)).toBe(true);
    expect(await stack.click(CANCEL_ACTION_ID, running, rootMessage.ts, ALICE)).toContain(
      `Cancelling job \`${running}\``,
    );
    await stack.finishedThread(running, 'cancelled');
  });
});
