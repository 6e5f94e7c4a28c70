import { BatchGetBuildsCommand } from '@aws-sdk/client-codebuild';
import { GetPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyActions } from '../../src/aws/iam-policies';
import { ALICE, E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * `/deploy` to environments that deploy by starting a pipeline, end to end: signed slash commands
 * into the real Bolt receiver, a real worker process, the unmodified CodeBuild and CodePipeline
 * SDK clients against the sandbox cloud's JSON 1.1 endpoints (projects and pipelines from its
 * config, phases and stages that take time and can fail). The tests run in order: each starts
 * from the history the previous ones left.
 */

const PHASES = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
];

describe('/deploy with CodeBuild and CodePipeline targets, end to end', () => {
  let stack: E2eStack;
  let root: string;
  const deploy = (line: string, user = ALICE) => stack.slash(line, { command: '/deploy', user });

  async function queued(line: string): Promise<string> {
    const ack = answerText(await deploy(line));
    expect(ack).toContain(':inbox_tray: Queued');
    return jobIdIn(ack);
  }
  const calls = (action: string) =>
    stack.sandbox!.sandbox.access.calls.filter((c) => c.action === action).length;
  const runIdIn = (lines: string[], what: string) => {
    const line = lines.find((l) => l.includes(`started ${what}: run`))!;
    return /run `([^`]+)`/.exec(line)![1]!;
  };
  const build = async (id: string) =>
    (await stack.sandbox!.clients.codebuild.send(new BatchGetBuildsCommand({ ids: [id] })))
      .builds![0]!;
  const said = (jobId: string, text: string) =>
    waitFor(
      () => stack.thread(jobId).replies.some((reply) => reply.includes(text)) || null,
      30_000,
      `job ${jobId} to say ${text}`,
    );

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-deploy-pipelines-'));
    stack = new E2eStack(
      {
        access: {
          admins: 'operators',
          groups: { operators: { users: [ALICE.id] } },
          rules: [
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
                build: {
                  targets: {
                    codebuild: {
                      project: 'shop-deploy',
                      environmentVariables: { DEPLOY_ENV: '{env}', APP: '{app}' },
                      pollSeconds: 0.1,
                    },
                  },
                },
                broken: {
                  targets: { codebuild: { project: 'shop-broken', pollSeconds: 0.1 } },
                },
                slow: {
                  targets: { codebuild: { project: 'shop-slow', pollSeconds: 0.2 } },
                },
                ghost: {
                  targets: { codebuild: { project: 'shop-ghost', pollSeconds: 0.1 } },
                },
                slower: {
                  targets: { codebuild: { project: 'shop-slower', pollSeconds: 0.2 } },
                },
                long: {
                  targets: {
                    codepipeline: {
                      pipeline: 'shop-long',
                      ref: { sourceAction: 'Source' },
                      pollSeconds: 0.2,
                    },
                  },
                },
                release: {
                  targets: {
                    codepipeline: {
                      pipeline: 'shop-release',
                      ref: { variable: 'REF' },
                      variables: { TARGET_ENV: '{env}' },
                      pollSeconds: 0.1,
                    },
                  },
                },
              },
            },
          },
          outputDir: join(root, 'output'),
        },
        runbook: { progressIntervalMs: 0 },
      },
      {
        sandbox: {
          config: {
            codebuild: {
              'shop-deploy': { phaseMs: 100 },
              'shop-broken': { phaseMs: 100, failPhase: 'BUILD' },
              'shop-slow': { phaseMs: 800 },
              // Longer than a worker's death and the job's resume elsewhere.
              'shop-slower': { phaseMs: 6000 },
            },
            codepipeline: {
              'shop-release': {
                stages: ['Source', 'Build', 'Deploy'],
                stageMs: 200,
                variables: ['REF', 'TARGET_ENV'],
              },
              'shop-long': { stages: ['Source', 'Deploy'], stageMs: 60_000, variables: [] },
            },
          },
        },
      },
    );
    await stack.start();
    await stack.startWorker();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('a CodeBuild deploy: the plan says what starts; each phase once in the thread with the log link; the history has it', async () => {
    const plan = answerText(await deploy('shop build v1 --dry-run'));
    expect(plan).toContain(
      '*Starts*: start CodeBuild project `shop-deploy` (StartBuild) at source version `v1` with `DEPLOY_ENV=build`, `APP=shop`',
    );
    expect(plan).toContain(
      'announce the deploy by codebuild:shop-deploy (nothing deployed yet → v1)',
    );
    expect(plan).not.toContain('*Per host*');

    const jobId = await queued('shop build v1');
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    const all = lines.join('\n');
    expect(all).toContain(
      ':rocket: deploying *shop* to *build* at `v1` (nothing deployed yet → v1), requested by alice: by codebuild:shop-deploy',
    );
    for (const phase of PHASES)
      expect(
        lines.filter((l) => l.startsWith(`:white_check_mark: phase ${phase} succeeded in`)),
      ).toHaveLength(1);
    expect(all).toContain('log-group/%2Faws%2Fcodebuild%2Fshop-deploy/log-events/');
    expect(all).toContain('|the run and its logs>');
    expect(all).toContain('*shop* `v1` is on *build*');
    // What the sandbox's CodeBuild got: the ref as the source version, the overrides.
    const done = await build(runIdIn(lines, 'CodeBuild project shop-deploy'));
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(done.sourceVersion).toBe('v1');
    expect(done.environment!.environmentVariables).toEqual([
      { name: 'DEPLOY_ENV', value: 'build', type: 'PLAINTEXT' },
      { name: 'APP', value: 'shop', type: 'PLAINTEXT' },
    ]);

    expect(answerText(await deploy('history shop build'))).toContain(
      '`v1` by alice: :white_check_mark: succeeded',
    );
    expect(answerText(await deploy('status shop build'))).toContain('`v1`');
    expect(answerText(await deploy('shop build v2 --dry-run'))).toContain('(v1 → v2)');
  }, 60_000);

  it('a failing phase fails the deploy, saying which phase and why', async () => {
    const jobId = await queued('shop broken v1');
    const { lines } = await stack.finishedThread(jobId, 'failed');
    const all = lines.join('\n');
    expect(all).toContain(':white_check_mark: phase PRE_BUILD succeeded');
    expect(all).toMatch(
      /:x: phase BUILD failed in \S+: COMMAND_EXECUTION_ERROR: Error while executing command: \.\/deploy\.sh\. Reason: exit status 1/,
    );
    expect(all).toContain('CodeBuild project shop-broken: the BUILD phase failed');
    expect(all).not.toContain('phase POST_BUILD');
    expect(answerText(await deploy('history shop broken'))).toContain('`v1` by alice: :x: failed');
  }, 60_000);

  it('a project CodeBuild does not have fails the deploy with what CodeBuild said', async () => {
    const { lines } = await stack.finishedThread(await queued('shop ghost v1'), 'failed');
    expect(lines.join('\n')).toContain('Project cannot be found');
  }, 60_000);

  it('a cancel mid-build stops the build (StopBuild) and the thread says so', async () => {
    const jobId = await queued('shop slow v1');
    await said(jobId, 'started CodeBuild project shop-slow: run');
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain('Cancelling');
    const { lines } = await stack.finishedThread(jobId, 'cancelled');
    const id = runIdIn(lines, 'CodeBuild project shop-slow');
    expect(lines.join('\n')).toContain(
      `:no_entry_sign: cancelled: stopped CodeBuild project shop-slow's run \`${id}\``,
    );
    expect(calls('codebuild:StopBuild')).toBe(1);
    expect((await build(id)).buildStatus).toBe('STOPPED');
    expect(answerText(await deploy('history shop slow'))).toContain(':no_entry_sign: cancelled');
  }, 60_000);

  it('a worker killed mid-build: the next one follows the same build (one StartBuild)', async () => {
    const before = calls('codebuild:StartBuild');
    const jobId = await queued('shop slow v2');
    await said(jobId, ':white_check_mark: phase SUBMITTED succeeded');
    await stack.killWorker();
    await stack.startWorker();
    const { lines } = await stack.finishedThread(jobId, 'succeeded', 90_000);
    const all = lines.join('\n');
    const id = runIdIn(lines, 'CodeBuild project shop-slow');
    expect(all).toContain(
      `resuming: following CodeBuild project shop-slow's run \`${id}\`, started before the interruption (no second run)`,
    );
    expect(calls('codebuild:StartBuild') - before).toBe(1);
    // Each phase told once, across both workers.
    for (const phase of PHASES)
      expect(
        lines.filter((l) => l.startsWith(`:white_check_mark: phase ${phase} succeeded`)),
      ).toHaveLength(1);
    expect((await build(id)).buildStatus).toBe('SUCCEEDED');
  }, 120_000);

  it('cancelled while no worker runs it: the resumed job stops the build it had started', async () => {
    const before = calls('codebuild:StopBuild');
    const jobId = await queued('shop slower v1');
    await said(jobId, 'started CodeBuild project shop-slower: run');
    await stack.killWorker();
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain('Cancelling');
    await stack.startWorker();
    const { lines } = await stack.finishedThread(jobId, 'cancelled', 90_000);
    const id = runIdIn(lines, 'CodeBuild project shop-slower');
    expect(lines.join('\n')).toContain(
      `:warning: stopped CodeBuild project shop-slower's run \`${id}\`, left running when the job ended`,
    );
    expect(calls('codebuild:StopBuild') - before).toBe(1);
    expect((await build(id)).buildStatus).toBe('STOPPED');
  }, 120_000);

  it('a CodePipeline deploy posts its stages; a rollback starts it again at the previous ref', async () => {
    expect(answerText(await deploy('shop release v1 --dry-run'))).toContain(
      'start CodePipeline pipeline `shop-release` (StartPipelineExecution) with the pipeline variable `REF=v1` with `TARGET_ENV=release`',
    );
    const first = await queued('shop release v1');
    const { lines } = await stack.finishedThread(first, 'succeeded');
    for (const stage of ['Source', 'Build', 'Deploy'])
      expect(
        lines.filter((l) => l.startsWith(`:white_check_mark: stage ${stage} succeeded in`)),
      ).toHaveLength(1);
    expect(lines.join('\n')).toContain(
      '/codesuite/codepipeline/pipelines/shop-release/executions/',
    );
    await stack.finishedThread(await queued('shop release v2'), 'succeeded');

    const plan = answerText(await deploy('rollback shop release --dry-run'));
    expect(plan).toContain('announce the rollback by codepipeline:shop-release (v2 → v1)');
    expect(plan).toContain('`REF=v1`');
    const rollback = await queued('rollback shop release');
    const thread = await stack.finishedThread(rollback, 'succeeded');
    expect(thread.root.text).toContain(
      'roll back shop on release to v1 (CodePipeline pipeline shop-release)',
    );
    const all = thread.lines.join('\n');
    expect(all).toContain(
      ':rewind: *rollback*: deploying *shop* to *release* at `v1` again (v2 → v1)',
    );
    expect(all).toContain(':white_check_mark: rolled back: *shop* `v1` is on *release*');
    const execution = (
      await stack.sandbox!.clients.codepipeline.send(
        new GetPipelineExecutionCommand({
          pipelineName: 'shop-release',
          pipelineExecutionId: runIdIn(thread.lines, 'CodePipeline pipeline shop-release'),
        }),
      )
    ).pipelineExecution!;
    expect(execution.variables).toEqual([
      { name: 'REF', resolvedValue: 'v1' },
      { name: 'TARGET_ENV', resolvedValue: 'release' },
    ]);
    const history = answerText(await deploy('history shop release'));
    expect(history).toContain(':rewind: rollback to `v1` by alice: :white_check_mark: succeeded');
    expect(answerText(await deploy('shop release v3 --dry-run'))).toContain('(v1 → v3)');
  }, 90_000);

  it('a cancel mid-pipeline stops the execution (StopPipelineExecution, abandoning its action)', async () => {
    const jobId = await queued('shop long 0123abc');
    await said(jobId, 'started CodePipeline pipeline shop-long: run');
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain('Cancelling');
    const { lines } = await stack.finishedThread(jobId, 'cancelled');
    const id = runIdIn(lines, 'CodePipeline pipeline shop-long');
    expect(lines.join('\n')).toContain(
      `:no_entry_sign: cancelled: stopped CodePipeline pipeline shop-long's run \`${id}\``,
    );
    const execution = (
      await stack.sandbox!.clients.codepipeline.send(
        new GetPipelineExecutionCommand({ pipelineName: 'shop-long', pipelineExecutionId: id }),
      )
    ).pipelineExecution!;
    expect(execution.status).toBe('Stopped');
    expect(execution.statusSummary).toContain(`opsdeck job ${jobId} cancelled by alice`);
    // The ref went in as the source action's revision.
    expect(execution.artifactRevisions).toEqual([{ name: 'Source', revisionId: '0123abc' }]);
  }, 60_000);

  it('called no AWS action the documented deploy policy lacks', () => {
    const called = stack.awsActions();
    expect(called).toEqual(
      expect.arrayContaining(['codebuild:StartBuild', 'codepipeline:ListActionExecutions']),
    );
    expect(called.filter((action) => !policyActions('deploy').includes(action))).toEqual([]);
  });
});
