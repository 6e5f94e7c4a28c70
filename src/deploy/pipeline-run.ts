import type { PipelineTarget } from '../config/deploy';

/**
 * A deploy whose target is a pipeline (config `targets: { codebuild }` or `{ codepipeline }`):
 * started once per job (the job id is the request's idempotency token, so a start repeated after
 * a crash is the same run), looked at every `pollSeconds`, stopped on a cancel. Each service
 * answers in its own words (CodeBuild's phases, CodePipeline's stages); here they are the same
 * steps with a status, a duration and, for a failure, why.
 */
export type PipelineStatus = 'running' | 'succeeded' | 'failed' | 'stopped';

export interface PipelineStep {
  name: string;
  status: PipelineStatus;
  durationMs?: number;
  /** Why it failed, as the service tells it. */
  reason?: string;
}

export interface PipelineLook {
  status: PipelineStatus;
  /** The steps in order; a step is `running` until it has ended for good. */
  steps: PipelineStep[];
  /** Where a person follows the run (CodeBuild: its logs' deep link). */
  link?: string;
  /** Why the run as a whole failed, when no step says. */
  reason?: string;
}

export interface PipelineRun {
  /** `phase` (CodeBuild) or `stage` (CodePipeline). */
  unit: 'phase' | 'stage';
  /** `CodeBuild project shop-deploy`. */
  what: string;
  /** Starts a run; the same `token` within the service's window gives the same run. */
  start(token: string, signal: AbortSignal): Promise<string>;
  look(id: string, signal: AbortSignal): Promise<PipelineLook>;
  /** Stops the run; one that has ended already is left as it is. */
  stop(id: string, reason: string): Promise<void>;
}

export interface PipelineValues {
  ref: string;
  app: string;
  env: string;
}

/** `CodeBuild project shop-deploy`, `CodePipeline pipeline shop-release`. */
export function pipelineName(target: PipelineTarget): string {
  return 'codebuild' in target
    ? `CodeBuild project ${target.codebuild.project}`
    : `CodePipeline pipeline ${target.codepipeline.pipeline}`;
}

/** The variables' values with `{ref}`, `{app}` and `{env}` put in. */
export function renderVariables(
  templates: Readonly<Record<string, string>>,
  values: PipelineValues,
): { name: string; value: string }[] {
  return Object.entries(templates).map(([name, template]) => ({
    name,
    value: template.replace(/\{(ref|app|env)\}/g, (_, key: keyof PipelineValues) => values[key]),
  }));
}
