import { z } from 'zod';
import { deployName, hostName } from '../config/deploy';

/**
 * A ref as /deploy takes it: any text a release can be named by (a tag, a branch, a commit), passed
 * to the command as one plain argument whatever it holds (`; rm -rf /` and `$(…)` included: see
 * command-template.ts). Refused: control characters (a newline would split a log line, NUL cannot
 * be an argument) and a leading `-`, which the deploy program would read as an option.
 */
export function refProblem(ref: string): string | null {
  if (ref.length === 0 || ref.length > 255) return 'must be 1-255 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(ref)) return 'must not contain control characters or newlines';
  if (ref.startsWith('-'))
    return 'must not start with - (the deploy command would read it as an option)';
  return null;
}

export const DeployRef = z.string().superRefine((ref, ctx) => {
  const problem = refProblem(ref);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** What a /deploy job carries (validated again by the worker): the hosts as planned and approved. */
export const DeployInput = z.strictObject({
  app: deployName,
  env: deployName,
  ref: DeployRef,
  hosts: z
    .array(hostName)
    .min(1)
    .max(10_000)
    .refine((hosts) => new Set(hosts).size === hosts.length, 'lists a host twice'),
  /** The environment's pre and post commands, as planned (the steps run only when planned). */
  pre: z.boolean(),
  post: z.boolean(),
});

export type DeployInput = z.infer<typeof DeployInput>;
