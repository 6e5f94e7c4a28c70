import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where console mode keeps the key it signs queued work with (git-ignored, like all of .local/). */
export const CONSOLE_QUEUE_KEY_FILE = '.local/queue-signing.key';

/**
 * Console mode signs queued work (jobs, approvals, decisions, cancels) with a key of its own, made
 * on first start under .local/ (mode 600) and kept, so jobs left in Redis by an earlier run still
 * check; it goes into `env` under `signingKeyEnv` unless that is set already. A deployment sets
 * the variable itself (`openssl rand -base64 32`), the same in the bot and every worker.
 */
export function ensureConsoleQueueKey(
  signingKeyEnv: string,
  env: NodeJS.ProcessEnv,
  file = CONSOLE_QUEUE_KEY_FILE,
): void {
  if (env[signingKeyEnv]) return;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  env[signingKeyEnv] = readFileSync(file, 'utf8').trim();
}
