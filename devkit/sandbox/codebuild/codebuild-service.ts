import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';
import { epochSeconds, requiredString, type JsonInput, type JsonService } from '../json-protocol';
import { buildAt, type BuildPhase } from './build-phases';

/**
 * CodeBuild on its wire protocol (JSON 1.1, `CodeBuild_20161006`): StartBuild, BatchGetBuilds and
 * StopBuild on the projects of the sandbox's config. A build runs no command: its phases take
 * `phaseMs` each, and the project's `failPhase` fails (the build ends FAILED there). Builds live
 * as long as the sandbox process.
 */
export interface SandboxProject {
  phaseMs: number;
  failPhase?: BuildPhase | undefined;
}

interface BuildRecord {
  id: string;
  project: string;
  buildNumber: number;
  sourceVersion: string | undefined;
  environmentVariables: { name: string; value: string; type: string }[];
  idempotencyToken: string | undefined;
  startMs: number;
  phaseMs: number;
  failPhase: BuildPhase | undefined;
  stoppedAtMs?: number;
}

/** How long StartBuild's idempotencyToken is honoured (as on AWS). */
const TOKEN_MS = 5 * 60_000;

export function createCodeBuildService(
  projects: Readonly<Record<string, SandboxProject>>,
  options: { region: string; now?: () => number },
): JsonService {
  const now = options.now ?? Date.now;
  const builds = new Map<string, BuildRecord>();
  const numbers = new Map<string, number>();
  const arnOf = (id: string) => `arn:aws:codebuild:${options.region}:000000000000:build/${id}`;

  function render(build: BuildRecord) {
    const view = buildAt(build, now());
    const group = `/aws/codebuild/${build.project}`;
    const stream = build.id.split(':')[1]!;
    return {
      id: build.id,
      arn: arnOf(build.id),
      buildNumber: build.buildNumber,
      projectName: build.project,
      startTime: epochSeconds(build.startMs),
      ...(view.endMs !== undefined && { endTime: epochSeconds(view.endMs) }),
      currentPhase: view.currentPhase,
      buildStatus: view.buildStatus,
      buildComplete: view.buildStatus !== 'IN_PROGRESS',
      ...(build.sourceVersion !== undefined && { sourceVersion: build.sourceVersion }),
      environment: {
        type: 'LINUX_CONTAINER',
        image: 'aws/codebuild/standard:7.0',
        computeType: 'BUILD_GENERAL1_SMALL',
        environmentVariables: build.environmentVariables,
      },
      phases: view.phases.map((phase) => ({
        phaseType: phase.phaseType,
        ...(phase.phaseStatus && { phaseStatus: phase.phaseStatus }),
        startTime: epochSeconds(phase.startMs),
        ...(phase.endMs !== undefined && {
          endTime: epochSeconds(phase.endMs),
          durationInSeconds: Math.round((phase.endMs - phase.startMs) / 1000),
        }),
        ...(phase.failed && {
          contexts: [
            {
              statusCode: 'COMMAND_EXECUTION_ERROR',
              message: `Error while executing command: ./deploy.sh. Reason: exit status 1`,
            },
          ],
        }),
      })),
      logs: {
        groupName: group,
        streamName: stream,
        deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${options.region}#logsV2:log-groups/log-group/${encodeURIComponent(group)}/log-events/${stream}`,
      },
    };
  }

  function startBuild(input: JsonInput) {
    const project = requiredString(input, 'projectName');
    const settings = Object.hasOwn(projects, project) ? projects[project] : undefined;
    if (!settings)
      throw new AwsError(
        'ResourceNotFoundException',
        `Project cannot be found: arn:aws:codebuild:${options.region}:000000000000:project/${project}`,
      );
    const token = typeof input.idempotencyToken === 'string' ? input.idempotencyToken : undefined;
    const same =
      token === undefined
        ? undefined
        : [...builds.values()].find(
            (b) => b.idempotencyToken === token && now() - b.startMs < TOKEN_MS,
          );
    if (same) return { build: render(same) };
    const buildNumber = (numbers.get(project) ?? 0) + 1;
    numbers.set(project, buildNumber);
    const overrides = Array.isArray(input.environmentVariablesOverride)
      ? (input.environmentVariablesOverride as JsonInput[])
      : [];
    const build: BuildRecord = {
      id: `${project}:${randomUUID()}`,
      project,
      buildNumber,
      sourceVersion: typeof input.sourceVersion === 'string' ? input.sourceVersion : undefined,
      environmentVariables: overrides.map((v) => ({
        name: String(v.name),
        value: String(v.value),
        type: typeof v.type === 'string' ? v.type : 'PLAINTEXT',
      })),
      idempotencyToken: token,
      startMs: now(),
      phaseMs: settings.phaseMs,
      failPhase: settings.failPhase,
    };
    builds.set(build.id, build);
    return { build: render(build) };
  }

  function batchGetBuilds(input: JsonInput) {
    const ids = Array.isArray(input.ids) ? input.ids.map(String) : [];
    if (ids.length === 0 || ids.length > 100)
      throw new AwsError('InvalidInputException', 'ids must list 1 to 100 build ids');
    return {
      builds: ids.flatMap((id) => {
        const build = builds.get(id);
        return build ? [render(build)] : [];
      }),
      buildsNotFound: ids.filter((id) => !builds.has(id)),
    };
  }

  function stopBuild(input: JsonInput) {
    const id = requiredString(input, 'id');
    const build = builds.get(id);
    if (!build) throw new AwsError('ResourceNotFoundException', `Build ${id} does not exist`);
    if (build.stoppedAtMs === undefined && buildAt(build, now()).buildStatus === 'IN_PROGRESS')
      build.stoppedAtMs = now();
    return { build: render(build) };
  }

  return {
    targetPrefix: 'CodeBuild_20161006',
    iamPrefix: 'codebuild',
    actions: { StartBuild: startBuild, BatchGetBuilds: batchGetBuilds, StopBuild: stopBuild },
  };
}
