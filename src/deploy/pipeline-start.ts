import type { AwsClients } from '../aws/clients';
import type { PipelineTarget } from '../config/deploy';
import { code, join, md, type Mrkdwn } from '../slack/mrkdwn';
import { codeBuildRun } from './codebuild-run';
import { codePipelineRun } from './codepipeline-run';
import { renderVariables, type PipelineRun, type PipelineValues } from './pipeline-run';

/** The run of an environment's pipeline target at a ref (pipeline-run.ts), on the SDK clients. */
export function pipelineRun(
  aws: AwsClients,
  target: PipelineTarget,
  values: PipelineValues,
): PipelineRun {
  return 'codebuild' in target
    ? codeBuildRun(aws.codebuild, target.codebuild, values)
    : codePipelineRun(aws.codepipeline, target.codepipeline, values);
}

/** What the plan says will be started: `start CodeBuild project shop-deploy at source version v2 (DEPLOY_ENV=production)`. */
export function describePipelineStart(target: PipelineTarget, values: PipelineValues): Mrkdwn {
  const variables = (templates: Readonly<Record<string, string>>) => {
    const list = renderVariables(templates, values);
    return list.length === 0
      ? md``
      : md` with ${join(
          list.map((v) => code(`${v.name}=${v.value}`)),
          ', ',
        )}`;
  };
  if ('codebuild' in target) {
    const { project, environmentVariables } = target.codebuild;
    return md`start CodeBuild project ${code(project)} (StartBuild) at source version ${code(values.ref)}${variables(environmentVariables)}`;
  }
  const { pipeline, ref, variables: others } = target.codepipeline;
  const how =
    'variable' in ref
      ? md`the pipeline variable ${code(`${ref.variable}=${values.ref}`)}`
      : md`the ${ref.revisionType} ${code(values.ref)} for its source action ${code(ref.sourceAction)}`;
  return md`start CodePipeline pipeline ${code(pipeline)} (StartPipelineExecution) with ${how}${variables(others)}`;
}
