import { policyActions, type AwsCommand } from '../../src/aws/iam-policies';
import type { E2eStack } from './e2e-stack';

/**
 * The AWS actions the stack's bot and workers called (the sandbox recorded each with the stack's
 * access key) that docs/iam/<command>.json does not allow: what a user with exactly that policy
 * would have seen fail. Each command's end-to-end test ends with this, after all its runs.
 */
export function undocumentedActions(
  stack: E2eStack,
  command: AwsCommand,
): { called: string[]; missing: string[] } {
  const called = stack.awsActions();
  const allowed = new Set(policyActions(command));
  return { called, missing: called.filter((action) => !allowed.has(action)) };
}
