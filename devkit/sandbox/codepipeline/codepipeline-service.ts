import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';
import { epochSeconds, requiredString, type JsonInput, type JsonService } from '../json-protocol';
import { executionAt } from './pipeline-stages';

/**
 * CodePipeline on its wire protocol (JSON 1.1, `CodePipeline_20150709`): StartPipelineExecution
 * (variables, sourceRevisions, clientRequestToken), GetPipelineExecution, ListActionExecutions
 * and StopPipelineExecution, on the pipelines of the sandbox's config. The first stage is the
 * source stage: a sourceRevisions override names its action. Variables must be declared by the
 * pipeline, as on a V2 pipeline. Executions live as long as the sandbox process.
 */
export interface SandboxPipeline {
  stages: string[];
  stageMs: number;
  failStage?: string | undefined;
  variables: string[];
}

interface ExecutionRecord {
  id: string;
  pipeline: string;
  token: string | undefined;
  variables: { name: string; resolvedValue: string }[];
  revisions: { actionName: string; revisionType: string; revisionValue: string }[];
  startMs: number;
  settings: SandboxPipeline;
  stop?: { atMs: number; abandon: boolean; reason: string | undefined };
}

export function createCodePipelineService(
  pipelines: Readonly<Record<string, SandboxPipeline>>,
  options: { now?: () => number } = {},
): JsonService {
  const now = options.now ?? Date.now;
  const executions = new Map<string, ExecutionRecord>();

  function pipelineNamed(name: string): SandboxPipeline {
    const found = Object.hasOwn(pipelines, name) ? pipelines[name] : undefined;
    if (!found)
      throw new AwsError(
        'PipelineNotFoundException',
        `Account '000000000000' does not have a pipeline with name '${name}'`,
      );
    return found;
  }

  function executionOf(input: JsonInput): ExecutionRecord {
    const pipeline = requiredString(input, 'pipelineName');
    pipelineNamed(pipeline);
    const id = requiredString(input, 'pipelineExecutionId');
    const execution = executions.get(id);
    if (!execution || execution.pipeline !== pipeline)
      throw new AwsError(
        'PipelineExecutionNotFoundException',
        `Pipeline execution with id '${id}' does not exist in pipeline '${pipeline}'`,
      );
    return execution;
  }

  const view = (execution: ExecutionRecord) =>
    executionAt(
      {
        startMs: execution.startMs,
        stages: execution.settings.stages,
        stageMs: execution.settings.stageMs,
        failStage: execution.settings.failStage,
        stop: execution.stop,
      },
      now(),
    );

  function start(input: JsonInput) {
    const name = requiredString(input, 'name');
    const settings = pipelineNamed(name);
    const token =
      typeof input.clientRequestToken === 'string' ? input.clientRequestToken : undefined;
    const same =
      token === undefined
        ? undefined
        : [...executions.values()].find((e) => e.pipeline === name && e.token === token);
    if (same) return { pipelineExecutionId: same.id };
    const variables = (Array.isArray(input.variables) ? (input.variables as JsonInput[]) : []).map(
      (v) => ({ name: String(v.name), resolvedValue: String(v.value) }),
    );
    const undeclared = variables.filter((v) => !settings.variables.includes(v.name));
    if (undeclared.length > 0)
      throw new AwsError(
        'ValidationException',
        `Pipeline ${name} does not declare the variable(s) ${undeclared.map((v) => v.name).join(', ')}`,
      );
    const revisions = (
      Array.isArray(input.sourceRevisions) ? (input.sourceRevisions as JsonInput[]) : []
    ).map((r) => ({
      actionName: String(r.actionName),
      revisionType: String(r.revisionType),
      revisionValue: String(r.revisionValue),
    }));
    const unknown = revisions.find((r) => r.actionName !== settings.stages[0]);
    if (unknown)
      throw new AwsError(
        'ValidationException',
        `The source revision override names ${unknown.actionName}, which is not a source action of pipeline ${name}`,
      );
    const execution: ExecutionRecord = {
      id: randomUUID(),
      pipeline: name,
      token,
      variables,
      revisions,
      startMs: now(),
      settings,
    };
    executions.set(execution.id, execution);
    return { pipelineExecutionId: execution.id };
  }

  function get(input: JsonInput) {
    const execution = executionOf(input);
    const { status } = view(execution);
    return {
      pipelineExecution: {
        pipelineName: execution.pipeline,
        pipelineVersion: 1,
        pipelineExecutionId: execution.id,
        status,
        ...(execution.stop?.reason !== undefined && { statusSummary: execution.stop.reason }),
        artifactRevisions: execution.revisions.map((r) => ({
          name: r.actionName,
          revisionId: r.revisionValue,
        })),
        variables: execution.variables,
        trigger: { triggerType: 'StartPipelineExecution' },
        executionMode: 'SUPERSEDED',
      },
    };
  }

  function listActions(input: JsonInput) {
    const pipeline = requiredString(input, 'pipelineName');
    pipelineNamed(pipeline);
    const filter = (input.filter ?? {}) as JsonInput;
    const wanted =
      typeof filter.pipelineExecutionId === 'string' ? filter.pipelineExecutionId : undefined;
    const details = [...executions.values()]
      .filter((e) => e.pipeline === pipeline && (wanted === undefined || e.id === wanted))
      .flatMap((execution) =>
        view(execution).actions.map((action) => ({
          pipelineExecutionId: execution.id,
          actionExecutionId: `${execution.id}-${action.stage}`,
          pipelineVersion: 1,
          stageName: action.stage,
          actionName: action.stage,
          startTime: epochSeconds(action.startMs),
          lastUpdateTime: epochSeconds(action.lastUpdateMs),
          status: action.status,
          ...(action.status === 'Failed' && {
            output: {
              executionResult: {
                externalExecutionSummary: `${action.stage} failed: exit status 1`,
                errorDetails: {
                  code: 'JobFailed',
                  message: `${action.stage} failed: exit status 1`,
                },
              },
            },
          }),
        })),
      )
      // Newest first, as AWS lists them.
      .sort((a, b) => b.startTime - a.startTime);
    return { actionExecutionDetails: details };
  }

  function stop(input: JsonInput) {
    const execution = executionOf(input);
    const { status } = view(execution);
    if (execution.stop)
      throw new AwsError(
        'DuplicatedStopRequestException',
        `Execution ${execution.id} is already being stopped`,
      );
    if (status !== 'InProgress')
      throw new AwsError(
        'PipelineExecutionNotStoppableException',
        `Execution ${execution.id} is ${status} and cannot be stopped`,
      );
    execution.stop = {
      atMs: now(),
      abandon: input.abandon === true,
      reason: typeof input.reason === 'string' ? input.reason : undefined,
    };
    return { pipelineExecutionId: execution.id };
  }

  return {
    targetPrefix: 'CodePipeline_20150709',
    iamPrefix: 'codepipeline',
    actions: {
      StartPipelineExecution: start,
      GetPipelineExecution: get,
      ListActionExecutions: listActions,
      StopPipelineExecution: stop,
    },
  };
}
