import {
  BatchGetBuildsCommand,
  CodeBuildServiceException,
  ResourceNotFoundException,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
} from '@aws-sdk/client-codebuild';
import {
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { startTestSandbox, type TestSandbox } from '../../../helpers/sandbox';
import { waitFor } from '../../../helpers/wait-for';

/**
 * The sandbox's CodeBuild and CodePipeline (JSON 1.1, devkit/sandbox/json-protocol.ts), through
 * the unmodified SDK v3 clients with only an endpoint override.
 */
describe('sandbox CodeBuild and CodePipeline through the real SDK v3 clients', () => {
  let t: TestSandbox;

  beforeAll(async () => {
    t = await startTestSandbox({
      codebuild: {
        'shop-deploy': { phaseMs: 20 },
        'shop-broken': { phaseMs: 20, failPhase: 'BUILD' },
        'shop-slow': { phaseMs: 60_000 },
      },
      codepipeline: {
        'shop-release': { stages: ['Source', 'Build', 'Deploy'], stageMs: 30, variables: ['REF'] },
        'shop-failing': {
          stages: ['Source', 'Build', 'Deploy'],
          stageMs: 30,
          failStage: 'Build',
          variables: [],
        },
        'shop-long': { stages: ['Source', 'Deploy'], stageMs: 60_000, variables: [] },
      },
    });
  });

  afterAll(() => t.dispose());

  const build = async (id: string): Promise<Build> =>
    (await t.clients.codebuild.send(new BatchGetBuildsCommand({ ids: [id] }))).builds![0]!;
  const finished = (id: string) =>
    waitFor(
      async () => {
        const b = await build(id);
        return b.buildComplete ? b : null;
      },
      20_000,
      `build ${id} to end`,
    );

  it('StartBuild runs every phase in order, with the source version, overrides and a log link', async () => {
    const { build: started } = await t.clients.codebuild.send(
      new StartBuildCommand({
        projectName: 'shop-deploy',
        sourceVersion: 'v1.4.2',
        environmentVariablesOverride: [{ name: 'DEPLOY_ENV', value: 'prod', type: 'PLAINTEXT' }],
      }),
    );
    expect(started!.id).toMatch(/^shop-deploy:[0-9a-f-]{36}$/);
    expect(started!.buildStatus).toBe('IN_PROGRESS');
    const done = await finished(started!.id!);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(done.sourceVersion).toBe('v1.4.2');
    expect(done.environment!.environmentVariables).toEqual([
      { name: 'DEPLOY_ENV', value: 'prod', type: 'PLAINTEXT' },
    ]);
    expect(done.phases!.map((p) => p.phaseType)).toEqual([
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
      'COMPLETED',
    ]);
    expect(done.phases!.slice(0, -1).every((p) => p.phaseStatus === 'SUCCEEDED')).toBe(true);
    expect(done.startTime).toBeInstanceOf(Date);
    expect(done.logs!.deepLink).toContain('log-group/%2Faws%2Fcodebuild%2Fshop-deploy/log-events/');
    expect(t.sandbox.access.actions()).toEqual(
      expect.arrayContaining(['codebuild:BatchGetBuilds', 'codebuild:StartBuild']),
    );
  });

  it('a failing phase fails the build there, with its reason; the same idempotency token starts nothing new', async () => {
    const start = () =>
      t.clients.codebuild.send(
        new StartBuildCommand({ projectName: 'shop-broken', idempotencyToken: 'job-1' }),
      );
    const first = (await start()).build!;
    expect((await start()).build!.id).toBe(first.id);
    const done = await finished(first.id!);
    expect(done.buildStatus).toBe('FAILED');
    const failed = done.phases!.find((p) => p.phaseStatus === 'FAILED')!;
    expect(failed.phaseType).toBe('BUILD');
    expect(failed.contexts![0]!.message).toContain('exit status 1');
    expect(done.phases!.at(-1)!.phaseType).toBe('COMPLETED');
  });

  it('StopBuild stops a running build; unknown projects and builds are AWS errors', async () => {
    const started = (
      await t.clients.codebuild.send(new StartBuildCommand({ projectName: 'shop-slow' }))
    ).build!;
    const stopped = (await t.clients.codebuild.send(new StopBuildCommand({ id: started.id! })))
      .build!;
    expect(stopped.buildStatus).toBe('STOPPED');
    expect(stopped.phases!.find((p) => p.phaseStatus === 'STOPPED')).toBeDefined();
    await expect(
      t.clients.codebuild.send(new StartBuildCommand({ projectName: 'nope' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const missing = await t.clients.codebuild.send(
      new BatchGetBuildsCommand({ ids: ['nope:0000'] }),
    );
    expect(missing.buildsNotFound).toEqual(['nope:0000']);
  });

  it('refuses a denied action as AWS does (AccessDeniedException), and records it', async () => {
    t.sandbox.access.deny(['codebuild:StartBuild']);
    try {
      const refused = await t.clients.codebuild
        .send(new StartBuildCommand({ projectName: 'shop-deploy' }))
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(CodeBuildServiceException);
      expect((refused as Error).name).toBe('AccessDeniedException');
      expect((refused as Error).message).toContain(
        'not authorized to perform: codebuild:StartBuild',
      );
    } finally {
      t.sandbox.access.allowAll();
    }
  });

  const execution = (pipelineName: string, pipelineExecutionId: string) =>
    t.clients.codepipeline
      .send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId }))
      .then((answer) => answer.pipelineExecution!);
  const ended = (pipelineName: string, id: string) =>
    waitFor(
      async () => {
        const e = await execution(pipelineName, id);
        return e.status === 'InProgress' || e.status === 'Stopping' ? null : e;
      },
      20_000,
      `execution ${id} to end`,
    );
  const actions = async (pipelineName: string, pipelineExecutionId: string) =>
    (
      await t.clients.codepipeline.send(
        new ListActionExecutionsCommand({ pipelineName, filter: { pipelineExecutionId } }),
      )
    ).actionExecutionDetails!;

  it('StartPipelineExecution runs the stages in order with the variables; the same token is the same execution', async () => {
    const start = () =>
      t.clients.codepipeline.send(
        new StartPipelineExecutionCommand({
          name: 'shop-release',
          clientRequestToken: 'job-2',
          variables: [{ name: 'REF', value: 'v2' }],
        }),
      );
    const { pipelineExecutionId } = await start();
    expect((await start()).pipelineExecutionId).toBe(pipelineExecutionId);
    const done = await ended('shop-release', pipelineExecutionId!);
    expect(done.status).toBe('Succeeded');
    expect(done.variables).toEqual([{ name: 'REF', resolvedValue: 'v2' }]);
    const details = await actions('shop-release', pipelineExecutionId!);
    expect(details.map((d) => `${d.stageName} ${d.status}`).reverse()).toEqual([
      'Source Succeeded',
      'Build Succeeded',
      'Deploy Succeeded',
    ]);
    expect(details[0]!.startTime).toBeInstanceOf(Date);
  });

  it('a failing stage fails the execution with its error; sourceRevisions name the source action', async () => {
    const { pipelineExecutionId } = await t.clients.codepipeline.send(
      new StartPipelineExecutionCommand({
        name: 'shop-failing',
        sourceRevisions: [
          { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: 'abc123' },
        ],
      }),
    );
    const done = await ended('shop-failing', pipelineExecutionId!);
    expect(done.status).toBe('Failed');
    expect(done.artifactRevisions).toEqual([{ name: 'Source', revisionId: 'abc123' }]);
    const failed = (await actions('shop-failing', pipelineExecutionId!)).find(
      (d) => d.status === 'Failed',
    )!;
    expect(failed.stageName).toBe('Build');
    expect(failed.output!.executionResult!.errorDetails!.message).toContain('exit status 1');
    await expect(
      t.clients.codepipeline.send(
        new StartPipelineExecutionCommand({
          name: 'shop-failing',
          sourceRevisions: [
            { actionName: 'Build', revisionType: 'COMMIT_ID', revisionValue: 'abc123' },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      t.clients.codepipeline.send(
        new StartPipelineExecutionCommand({
          name: 'shop-failing',
          variables: [{ name: 'REF', value: 'v1' }],
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('StopPipelineExecution with abandon stops at once; unknown pipelines are PipelineNotFoundException', async () => {
    const { pipelineExecutionId } = await t.clients.codepipeline.send(
      new StartPipelineExecutionCommand({ name: 'shop-long' }),
    );
    await t.clients.codepipeline.send(
      new StopPipelineExecutionCommand({
        pipelineName: 'shop-long',
        pipelineExecutionId: pipelineExecutionId!,
        abandon: true,
        reason: 'cancelled by alice',
      }),
    );
    const stopped = await execution('shop-long', pipelineExecutionId!);
    expect(stopped.status).toBe('Stopped');
    expect(stopped.statusSummary).toBe('cancelled by alice');
    expect((await actions('shop-long', pipelineExecutionId!))[0]!.status).toBe('Abandoned');
    await expect(
      t.clients.codepipeline.send(new StartPipelineExecutionCommand({ name: 'nope' })),
    ).rejects.toBeInstanceOf(PipelineNotFoundException);
    expect(t.sandbox.access.actions()).toEqual(
      expect.arrayContaining([
        'codepipeline:GetPipelineExecution',
        'codepipeline:ListActionExecutions',
        'codepipeline:StartPipelineExecution',
        'codepipeline:StopPipelineExecution',
      ]),
    );
  });
});
