import type { Logger } from '../log/logger';
import type { AuditStore } from './audit-store';

/**
 * Applies the audit migrations when a process starts. An unreachable audit store does not keep
 * the bot from starting (read-only commands still work; changing ones are refused until the
 * trail can be written): the migrations are tried again every `retryMs` until they succeed.
 * Returns how to stop trying.
 */
export async function migrateAtStartup(
  store: Pick<AuditStore, 'migrate'>,
  logger: Logger,
  retryMs = 10_000,
): Promise<() => void> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async (): Promise<void> => {
    try {
      const applied = await store.migrate();
      logger.info(
        { applied },
        applied.length > 0 ? 'audit migrations applied' : 'audit schema up to date',
      );
    } catch (error) {
      logger.error(
        { err: error, retryMs },
        'audit migrations failed; changing commands are refused until the audit trail can be written',
      );
      if (stopped) return;
      timer = setTimeout(() => void attempt(), retryMs);
      timer.unref();
    }
  };
  await attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
