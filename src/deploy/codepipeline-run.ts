import {
  DuplicatedStopRequestException,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  PipelineExecutionNotStoppableException,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type ActionExecutionDetail,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import type { PipelineTarget } from '../config/deploy';
import { ErrorCode, OpsdeckError } from '../errors';
import {
  pipelineName,
  renderVariables,
  type PipelineRun,
  type PipelineStatus,
  type PipelineStep,
  type PipelineValues,
} from './pipeline-run';

type Target = Extract<PipelineTarget, { codepipeline: unknown }>['codepipeline'];

/**
 * A CodePipeline execution: StartPipelineExecution with the ref as a pipeline variable or as a
 * source revision override (the job id as `clientRequestToken`); GetPipelineExecution gives its
 * status, ListActionExecutions its actions, grouped here by stage in the order they started. A
 * stage is told as ended once a later stage started or the execution ended (until then another of
 * its actions may still come); StopPipelineExecution (abandoning the running actions) stops it.
 */
export function codePipelineRun(
  client: CodePipelineClient,
  target: Target,
  values: PipelineValues,
): PipelineRun {
  const name = target.pipeline;
  return {
    unit: 'stage',
    what: pipelineName({ codepipeline: target }),
    async start(token, signal) {
      const { ref } = target;
      const answer = await client.send(
        new StartPipelineExecutionCommand({
          name,
          clientRequestToken: token,
          variables: [
            ...('variable' in ref ? [{ name: ref.variable, value: values.ref }] : []),
            ...renderVariables(target.variables, values),
          ],
          ...('sourceAction' in ref && {
            sourceRevisions: [
              {
                actionName: ref.sourceAction,
                revisionType: ref.revisionType,
                revisionValue: values.ref,
              },
            ],
          }),
        }),
        { abortSignal: signal },
      );
      if (!answer.pipelineExecutionId)
        throw new OpsdeckError(
          ErrorCode.StepFailed,
          'StartPipelineExecution answered without an execution id',
        );
      return answer.pipelineExecutionId;
    },
    async look(id, signal) {
      const { pipelineExecution } = await client.send(
        new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: id }),
        { abortSignal: signal },
      );
      const actions: ActionExecutionDetail[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListActionExecutionsCommand({
            pipelineName: name,
            filter: { pipelineExecutionId: id },
            nextToken,
          }),
          { abortSignal: signal },
        );
        actions.push(...(page.actionExecutionDetails ?? []));
        nextToken = page.nextToken || undefined;
      } while (nextToken !== undefined);
      const status = EXECUTION_STATUS[pipelineExecution?.status ?? 'InProgress'] ?? 'failed';
      const region = await client.config.region();
      return {
        status,
        steps: stagesOf(actions, status !== 'running'),
        link: `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${encodeURIComponent(name)}/executions/${encodeURIComponent(id)}/timeline?region=${region}`,
        ...(pipelineExecution?.statusSummary && { reason: pipelineExecution.statusSummary }),
      };
    },
    async stop(id, reason) {
      try {
        await client.send(
          new StopPipelineExecutionCommand({
            pipelineName: name,
            pipelineExecutionId: id,
            abandon: true,
            reason: reason.slice(0, 200),
          }),
        );
      } catch (error) {
        // Ended already, or being stopped: nothing left to stop.
        if (
          error instanceof PipelineExecutionNotStoppableException ||
          error instanceof DuplicatedStopRequestException
        )
          return;
        throw error;
      }
    },
  };
}

const EXECUTION_STATUS: Record<string, PipelineStatus> = {
  InProgress: 'running',
  Stopping: 'running',
  Succeeded: 'succeeded',
  Stopped: 'stopped',
  Cancelled: 'stopped',
  Failed: 'failed',
  Superseded: 'failed',
};

const ACTION_STATUS: Record<string, PipelineStatus> = {
  InProgress: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Abandoned: 'stopped',
};

function stagesOf(actions: readonly ActionExecutionDetail[], ended: boolean): PipelineStep[] {
  const byStage = new Map<string, ActionExecutionDetail[]>();
  const started = (a: ActionExecutionDetail) => a.startTime?.getTime() ?? 0;
  for (const action of [...actions].sort((a, b) => started(a) - started(b))) {
    const stage = action.stageName ?? 'unknown';
    byStage.set(stage, [...(byStage.get(stage) ?? []), action]);
  }
  const stages = [...byStage.entries()];
  return stages.map(([name, list], index) => {
    const statuses = list.map((a) => ACTION_STATUS[a.status ?? 'InProgress'] ?? 'failed');
    const settled = ended || index < stages.length - 1;
    const status: PipelineStatus = statuses.includes('failed')
      ? 'failed'
      : statuses.includes('running') || !settled
        ? 'running'
        : statuses.includes('stopped')
          ? 'stopped'
          : 'succeeded';
    const start = Math.min(...list.map(started));
    const end = Math.max(...list.map((a) => a.lastUpdateTime?.getTime() ?? start));
    const reasons = list
      .map(
        (a) =>
          a.output?.executionResult?.errorDetails?.message ??
          a.output?.executionResult?.externalExecutionSummary,
      )
      .filter((r): r is string => r !== undefined && r !== '');
    return {
      name,
      status,
      durationMs: end - start,
      ...(status === 'failed' && reasons.length > 0 && { reason: reasons.join('; ') }),
    };
  });
}
