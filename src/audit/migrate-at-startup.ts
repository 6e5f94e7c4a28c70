import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { AuditStore } from './audit-store';

/** The audit migrations a process applies at its start, until they are applied. */
export interface StartupMigrations {
  /** For /healthz: resolves once they are applied; until then rejects with why not. */
  check(): Promise<void>;
  /** Stops trying. */
  stop(): void;
}

/**
 * Applies the audit migrations when a process starts (creating opsdeck's database first when
 * its account may). An unreachable audit store does not keep the bot from starting (read-only
 * commands still work; changing ones are refused until the trail can be written): the
 * migrations are tried again every `retryMs` until they succeed. Each reason they fail for is
 * logged once, not at every try: a database nobody created yet is one error line with the
 * statements to run (and /healthz says the same), not one every 10 s.
 */
export async function migrateAtStartup(
  store: Pick<AuditStore, 'migrate'>,
  logger: Logger,
  retryMs = 10_000,
): Promise<StartupMigrations> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failure: string | undefined = 'not tried yet';
  let logged: string | undefined;
  const attempt = async (): Promise<void> => {
    try {
      const applied = await store.migrate();
      failure = undefined;
      logger.info(
        { applied },
        applied.length > 0 ? 'audit migrations applied' : 'audit schema up to date',
      );
    } catch (error) {
      failure = describeError(error);
      if (failure !== logged) {
        logged = failure;
        logger.error(
          { err: error, retryMs },
          `audit migrations failed: ${failure}. Changing commands are refused until the audit trail can be written; tried again every ${retryMs / 1000} s, logged again only if the reason changes`,
        );
      }
      if (stopped) return;
      timer = setTimeout(() => void attempt(), retryMs);
      timer.unref();
    }
  };
  await attempt();
  return {
    check: async () => {
      if (failure !== undefined) throw new Error(failure);
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
