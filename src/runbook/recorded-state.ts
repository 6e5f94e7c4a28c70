import { ErrorCode, OpsdeckError } from '../errors';

/**
 * A value an earlier step recorded in the job's state, for a later step or a cleanup that cannot
 * go on without it: missing means the runbook's order was broken, which is a failure, not a retry.
 */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `${what} is not recorded: an earlier step did not finish`,
    );
  return value;
}
