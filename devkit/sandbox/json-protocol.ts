import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from './aws-error';

/**
 * The AWS JSON 1.1 protocol (CodeBuild, CodePipeline): `POST /` with the operation in
 * `X-Amz-Target: <TargetPrefix>.<Action>` and the input as a JSON body
 * (`Content-Type: application/x-amz-json-1.1`). The output is a JSON body; timestamps are epoch
 * seconds. An error is a 400 (or its status) whose body names it: `{"__type": "<Code>",
 * "message": "..."}`, which the SDK turns into the exception of that name.
 */
export interface JsonService {
  /** `CodeBuild_20161006`. */
  targetPrefix: string;
  /** The service's prefix in IAM action names (`codebuild`). */
  iamPrefix: string;
  actions: Record<string, (input: JsonInput) => unknown>;
}

export type JsonInput = Record<string, unknown>;

export interface JsonReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** `{ prefix: 'CodeBuild_20161006', action: 'StartBuild' }` from the request's X-Amz-Target. */
export function jsonTargetOf(
  headers: IncomingHttpHeaders,
): { prefix: string; action: string } | undefined {
  const target = headers['x-amz-target'];
  if (typeof target !== 'string') return undefined;
  const dot = target.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return { prefix: target.slice(0, dot), action: target.slice(dot + 1) };
}

/**
 * Runs the action named by `target` on its service; `authorize` (given the IAM action, e.g.
 * `codebuild:StartBuild`) records the call and throws to refuse it.
 */
export async function dispatchJson(
  services: readonly JsonService[],
  target: { prefix: string; action: string },
  body: string,
  authorize: (iamAction: string) => void,
): Promise<JsonReply> {
  try {
    const service = services.find((candidate) => candidate.targetPrefix === target.prefix);
    if (!service)
      throw new AwsError('UnknownOperationException', `Unknown service ${target.prefix}`);
    authorize(`${service.iamPrefix}:${target.action}`);
    const handler = Object.hasOwn(service.actions, target.action)
      ? service.actions[target.action]
      : undefined;
    if (!handler)
      throw new AwsError('UnknownOperationException', `Unknown operation ${target.action}`);
    const input = parseInput(body);
    const output = await handler(input);
    return reply(200, output ?? {});
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return reply(error.status, { __type: error.code, message: error.message });
  }
}

function parseInput(body: string): JsonInput {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AwsError('SerializationException', 'The request body is not a JSON object');
  return parsed as JsonInput;
}

function reply(status: number, output: unknown): JsonReply {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(output),
  };
}

/** A required string member of a JSON input, or the error AWS answers when it is missing. */
export function requiredString(input: JsonInput, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw new AwsError(
      'InvalidInputException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

/** Epoch seconds, as JSON 1.1 writes timestamps. */
export const epochSeconds = (ms: number): number => ms / 1000;
