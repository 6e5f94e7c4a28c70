import type { ActionExecutionDetail, CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { codePipelineRun } from '../../../src/deploy/codepipeline-run';

/**
 * How a CodePipeline execution's actions become the stages posted in a deploy's thread: grouped
 * by stage in the order they started, a stage told as ended only once a later stage started or
 * the execution ended (the sandbox has one action per stage; real stages may have several, run
 * one after another).
 */
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function lookWith(status: string, actions: Partial<ActionExecutionDetail>[]) {
  const client = {
    config: { region: async () => 'eu-west-1' },
    send: async (command: { constructor: { name: string } }) =>
      command.constructor.name === 'GetPipelineExecutionCommand'
        ? { pipelineExecution: { status } }
        : { actionExecutionDetails: actions },
  } as unknown as CodePipelineClient;
  const run = codePipelineRun(
    client,
    { pipeline: 'shop-release', ref: { variable: 'REF' }, variables: {}, pollSeconds: 1 },
    { ref: 'v2', app: 'shop', env: 'prod' },
  );
  return run.look('exec-1', new AbortController().signal);
}

describe('CodePipeline stages from action executions', () => {
  it('waits for the last stage started while the execution runs: another of its actions may come', async () => {
    // Newest first, as AWS lists them; Build's first action done, its second not started yet.
    const look = await lookWith('InProgress', [
      { stageName: 'Build', status: 'Succeeded', startTime: at(10), lastUpdateTime: at(40) },
      { stageName: 'Source', status: 'Succeeded', startTime: at(0), lastUpdateTime: at(5) },
    ]);
    expect(look.status).toBe('running');
    expect(look.steps).toEqual([
      { name: 'Source', status: 'succeeded', durationMs: 5000 },
      { name: 'Build', status: 'running', durationMs: 30_000 },
    ]);
    expect(look.link).toBe(
      'https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/shop-release/executions/exec-1/timeline?region=eu-west-1',
    );
  });

  it('a stage of several actions lasts from its first start to its last update; a failed action fails it, with why', async () => {
    const look = await lookWith('Failed', [
      {
        stageName: 'Deploy',
        status: 'Failed',
        startTime: at(50),
        lastUpdateTime: at(70),
        output: { executionResult: { errorDetails: { code: 'JobFailed', message: 'exit 2' } } },
      },
      { stageName: 'Deploy', status: 'Succeeded', startTime: at(45), lastUpdateTime: at(49) },
      { stageName: 'Source', status: 'Succeeded', startTime: at(0), lastUpdateTime: at(5) },
    ]);
    expect(look.status).toBe('failed');
    expect(look.steps).toEqual([
      { name: 'Source', status: 'succeeded', durationMs: 5000 },
      { name: 'Deploy', status: 'failed', durationMs: 25_000, reason: 'exit 2' },
    ]);
  });

  it('an abandoned action is a stopped stage; Superseded is a failed run', async () => {
    const stopped = await lookWith('Stopped', [
      { stageName: 'Source', status: 'Abandoned', startTime: at(0), lastUpdateTime: at(2) },
    ]);
    expect(stopped.status).toBe('stopped');
    expect(stopped.steps[0]!.status).toBe('stopped');
    expect((await lookWith('Superseded', [])).status).toBe('failed');
  });
});
