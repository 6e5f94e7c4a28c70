import type { Pool } from 'mysql2/promise';
import type { DatabasesCheckpoint } from '../mysql/copy-databases';
import { checksumCopiedTable, type TableContentSums } from '../mysql/verify-databases';

export interface EarlyChecksums {
  /** The copy's checkpoint: checksums the tables whose copy is finished and not yet summed. */
  tablesFinished(checkpoint: DatabasesCheckpoint): void;
  /** Resolves once the checksums started so far are taken (or failed). */
  done(): Promise<void>;
}

/**
 * Checksums each table on both sides as soon as its copy is finished, one table at a time, while
 * the others are still being copied, so the verify step has only the last ones left to read.
 * `taken` are the sums a resumed copy has already (not taken again); each new sum is handed to
 * `save` with all the others. A checksum that fails is reported to `failed` and left to verify.
 */
export function checksumsAsTablesFinish(options: {
  source: Pool;
  destination: Pool;
  taken: Record<string, TableContentSums>;
  signal: AbortSignal;
  save(sums: Record<string, TableContentSums>): Promise<void>;
  failed(table: string, error: unknown): void;
}): EarlyChecksums {
  const sums: Record<string, TableContentSums> = { ...options.taken };
  const taken = new Set(Object.keys(sums));
  let queue = Promise.resolve();
  return {
    tablesFinished(checkpoint) {
      for (const [key, table] of Object.entries(checkpoint.tables)) {
        if (table.state !== 'indexed' || taken.has(key)) continue;
        taken.add(key);
        const dot = key.indexOf('.');
        queue = queue.then(async () => {
          if (options.signal.aborted) return;
          try {
            sums[key] = await checksumCopiedTable(
              options.source,
              options.destination,
              key.slice(0, dot),
              key.slice(dot + 1),
            );
            await options.save({ ...sums });
          } catch (error) {
            options.failed(key, error);
          }
        });
      }
    },
    done: () => queue,
  };
}
