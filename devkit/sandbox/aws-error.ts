/**
 * An error the emulator answers with on the wire: the AWS error code (which the SDK maps to its
 * exception class, e.g. `DBInstanceNotFound` → DBInstanceNotFoundFault) and the HTTP status AWS
 * uses for it. Query services answer 400 unless told otherwise; EC2 always answers 400.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export function invalidParameterValue(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

export function missingParameter(name: string): AwsError {
  return new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
}
