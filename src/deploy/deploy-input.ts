import { z } from 'zod';
import { deployName, hostName } from '../config/deploy';
import { refProblem } from '../config/deploy-ref';
import { PIPELINE_HOST } from './deploy-targets';

/**
 * A ref as /deploy takes it: passed to the command as one plain argument whatever it holds
 * (`$(…)` included: see command-template.ts); the rules are in src/config/deploy-ref.ts. The worker checks
 * the baseline again; the planner checks the environment's rule (git's, or its refPattern).
 */
export const DeployRef = z.string().superRefine((ref, ctx) => {
  const problem = refProblem(ref);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** What a /deploy job carries (validated again by the worker): the hosts as planned and approved. */
export const DeployInput = z.strictObject({
  /** A rollback deploys a ref that succeeded there before; the thread and history say so. */
  kind: z.enum(['deploy', 'rollback']),
  app: deployName,
  env: deployName,
  ref: DeployRef,
  /** The hosts; for a pipeline, the pipeline alone (`codebuild:<project>`, deploy-targets.ts). */
  hosts: z
    .array(z.union([hostName, z.string().regex(PIPELINE_HOST)]))
    .min(1)
    .max(10_000)
    .refine((hosts) => new Set(hosts).size === hosts.length, 'lists a host twice'),
  /** `--queue`: wait in line for the app+env's lock instead of failing when it is held. */
  queue: z.boolean(),
  /** The environment's pre and post commands, as planned (the steps run only when planned). */
  pre: z.boolean(),
  post: z.boolean(),
  /**
   * Declared an emergency (`--emergency "<reason>"`): ran without the approval, past the checks in
   * `overrides` (rendered text); the thread and the history say so.
   */
  emergency: z
    .strictObject({
      reason: z.string().min(1).max(500),
      overrides: z.array(z.string().max(2000)).max(10),
    })
    .optional(),
  /** Set when the environment deploys by starting a CodeBuild build or a CodePipeline execution. */
  pipeline: z.enum(['codebuild', 'codepipeline']).optional(),
});

export type DeployInput = z.infer<typeof DeployInput>;
