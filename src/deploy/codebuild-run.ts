import {
  BatchGetBuildsCommand,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
  type BuildPhase,
  type CodeBuildClient,
} from '@aws-sdk/client-codebuild';
import type { PipelineTarget } from '../config/deploy';
import { ErrorCode, OpsdeckError } from '../errors';
import {
  pipelineName,
  renderVariables,
  type PipelineLook,
  type PipelineRun,
  type PipelineStatus,
  type PipelineValues,
} from './pipeline-run';

type Target = Extract<PipelineTarget, { codebuild: unknown }>['codebuild'];

/**
 * A CodeBuild build: StartBuild with the ref as `sourceVersion` and the environment variables as
 * `environmentVariablesOverride` (the job id as `idempotencyToken`: AWS returns the same build for
 * 5 minutes); BatchGetBuilds gives its phases (COMPLETED, which only marks the end, is left out);
 * StopBuild stops it.
 */
export function codeBuildRun(
  client: CodeBuildClient,
  target: Target,
  values: PipelineValues,
): PipelineRun {
  return {
    unit: 'phase',
    what: pipelineName({ codebuild: target }),
    async start(token, signal) {
      const { build } = await client.send(
        new StartBuildCommand({
          projectName: target.project,
          sourceVersion: values.ref,
          environmentVariablesOverride: renderVariables(target.environmentVariables, values).map(
            (v) => ({ ...v, type: 'PLAINTEXT' }),
          ),
          idempotencyToken: token,
        }),
        { abortSignal: signal },
      );
      if (!build?.id)
        throw new OpsdeckError(ErrorCode.StepFailed, 'StartBuild answered without a build id');
      return build.id;
    },
    async look(id, signal) {
      const answer = await client.send(new BatchGetBuildsCommand({ ids: [id] }), {
        abortSignal: signal,
      });
      const build = answer.builds?.find((b) => b.id === id);
      if (!build)
        throw new OpsdeckError(ErrorCode.StepFailed, `CodeBuild has no build ${id} (any more)`);
      return lookOf(build);
    },
    async stop(id) {
      await client.send(new StopBuildCommand({ id }));
    },
  };
}

const BUILD_STATUS: Record<string, PipelineStatus> = {
  IN_PROGRESS: 'running',
  SUCCEEDED: 'succeeded',
  STOPPED: 'stopped',
  FAILED: 'failed',
  FAULT: 'failed',
  TIMED_OUT: 'failed',
};

function lookOf(build: Build): PipelineLook {
  return {
    status: BUILD_STATUS[build.buildStatus ?? 'IN_PROGRESS'] ?? 'failed',
    steps: (build.phases ?? [])
      .filter((phase) => phase.phaseType !== 'COMPLETED')
      .map((phase) => {
        const reason = reasonOf(phase);
        return {
          name: phase.phaseType ?? 'UNKNOWN',
          status: phaseStatus(phase.phaseStatus),
          ...(phase.startTime &&
            phase.endTime && { durationMs: phase.endTime.getTime() - phase.startTime.getTime() }),
          ...(reason !== undefined && { reason }),
        };
      }),
    ...(build.logs?.deepLink && { link: build.logs.deepLink }),
  };
}

function phaseStatus(status: string | undefined): PipelineStatus {
  if (status === undefined || status === 'IN_PROGRESS' || status === 'QUEUED') return 'running';
  if (status === 'SUCCEEDED') return 'succeeded';
  if (status === 'STOPPED') return 'stopped';
  return 'failed';
}

function reasonOf(phase: BuildPhase): string | undefined {
  const messages = (phase.contexts ?? [])
    .map((c) => [c.statusCode, c.message].filter(Boolean).join(': '))
    .filter((m) => m !== '');
  return messages.length > 0 ? messages.join('; ') : undefined;
}
