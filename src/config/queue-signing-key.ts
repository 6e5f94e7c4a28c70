import { ErrorCode, OpsdeckError } from '../errors';
import { registerSecret } from '../log/redact';
import { MIN_KEY_LENGTH, WorkSigner } from '../util/work-signature';
import type { OpsdeckConfig } from './schema';

/**
 * The key that signs and checks queued work (src/util/work-signature.ts), read once from the
 * environment variable `queue.signingKeyEnv`, and during a rotation the previous key from
 * `queue.previousSigningKeyEnv`. Every process that writes or reads jobs, approvals, cancels, the
 * outbox or the audit spool needs it: without it a process does not start (fail closed). Both
 * keys are registered with the redaction layer; errors name the variable, never the value.
 */
export function readWorkSigner(
  queue: Pick<OpsdeckConfig['queue'], 'signingKeyEnv' | 'previousSigningKeyEnv'>,
  env: NodeJS.ProcessEnv,
): WorkSigner {
  const current = keyFrom(env, queue.signingKeyEnv, 'queue.signingKeyEnv');
  const previous =
    queue.previousSigningKeyEnv === undefined
      ? undefined
      : keyFrom(env, queue.previousSigningKeyEnv, 'queue.previousSigningKeyEnv');
  if (previous !== undefined && previous === current) {
    throw new OpsdeckError(
      ErrorCode.QueueKeyInvalid,
      `${queue.previousSigningKeyEnv} holds the same key as ${queue.signingKeyEnv}: during a rotation the previous key is the one being replaced (or leave queue.previousSigningKeyEnv unset)`,
    );
  }
  return new WorkSigner(current, previous);
}

function keyFrom(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new OpsdeckError(
      ErrorCode.SecretMissing,
      `environment variable ${name} is not set (${field}: the key that signs queued work, the same in the bot and every worker; \`openssl rand -base64 32\` makes one)`,
    );
  }
  registerSecret(value);
  if (value.length < MIN_KEY_LENGTH) {
    throw new OpsdeckError(
      ErrorCode.QueueKeyInvalid,
      `environment variable ${name} holds ${value.length} characters; the key that signs queued work needs at least ${MIN_KEY_LENGTH} (\`openssl rand -base64 32\` makes one)`,
    );
  }
  return value;
}
