import type { Pool } from 'mysql2/promise';
import { ErrorCode, OpsdeckError, isOpsdeckError } from '../errors';
import { compareTables, type TableComparison } from '../mysql/compare-tables';
import { copyTable, type CopyResult } from '../mysql/copy-table';
import { verifyCopy } from '../mysql/table-checksum';
import { readTableShape } from '../mysql/table-shape';
import { tableExists } from './apply-restored-table';
import { refused } from './restore-preflight';

/**
 * The restored table copied into production as a side table (`<table>__restored_<stamp>`, next to
 * the table, never over it) and checked: same rows and checksum as on the restored instance,
 * then compared with production row by row.
 */

export interface RestoredCopy {
  /** The restored instance (read only). */
  source: Pool;
  /** Production, where the side table is created. */
  production: Pool;
  schema: string;
  table: string;
  sideTable: string;
  /** The time restored to, for the refusal when the table did not exist then. */
  at: string;
  parallelism: number;
  /**
   * What this job copied before an interruption: the side table is its own to resume into only
   * if `started` (else one that exists is someone else's), skipping the ranges done.
   */
  resume: { started: boolean; doneRanges: readonly number[] };
  /**
   * Called once the copy is this job's, before the side table is created or resumed into (with
   * how many key ranges a resumed copy skips).
   */
  onStart(resumedRanges: number): Promise<void>;
  onProgress(rows: number, estimatedRows: number): void;
  /** A key range is committed: record it to resume after an interruption. */
  onRangeDone(index: number): Promise<void>;
  signal: AbortSignal;
  /** After an abort stopped the copy: the server threads whose statements were killed. */
  onStopped(killedThreads: readonly number[]): void;
}

/** Copies the table into the side table (resuming this job's copy); returns how it went. */
export async function copyRestoredTable(copy: RestoredCopy): Promise<CopyResult> {
  const { source, production, schema, table, sideTable } = copy;
  try {
    await readTableShape(source, schema, table);
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.MysqlTableNotFound)
      throw refused(`${schema}.${table} did not exist at ${copy.at}: nothing to restore`, error);
    throw error;
  }
  const exists = await tableExists(production, schema, sideTable);
  if (exists && !copy.resume.started)
    throw refused(
      `${schema}.${sideTable} exists already and is not this job's; nothing was copied`,
    );
  const resume = exists ? { doneRanges: [...copy.resume.doneRanges] } : undefined;
  await copy.onStart(resume?.doneRanges.length ?? 0);
  const result = await copyTable({
    source,
    destination: production,
    from: { database: schema, table },
    to: { database: schema, table: sideTable },
    parallelism: copy.parallelism,
    ...(resume && { resume }),
    signal: copy.signal,
    onStopped: copy.onStopped,
    onProgress: (p) => copy.onProgress(p.rows, p.estimatedRows),
    onRangeDone: (range) => copy.onRangeDone(range.index),
  });
  return result;
}

export interface VerifiedCopy {
  rows: number;
  /** Production against the side table by key; null when the table has no usable key. */
  comparison: TableComparison | null;
}

/**
 * Checks the side table holds exactly the restored table's rows (count and checksum: refused
 * otherwise, production untouched), then compares production with it by key, up to `sampleSize`
 * keys of each kind of difference.
 */
export async function verifyRestoredCopy(
  source: Pool,
  production: Pool,
  restored: { schema: string; table: string; sideTable: string; sampleSize: number },
): Promise<VerifiedCopy> {
  const { schema, table, sideTable } = restored;
  const shape = await readTableShape(source, schema, table);
  const check = await verifyCopy(
    source,
    production,
    { database: schema, table },
    { database: schema, table: sideTable },
    shape.insertable,
  );
  if (!check.equal)
    throw new OpsdeckError(
      ErrorCode.StepFailed,
      `the side table does not match the restored table: ${check.side.rows} rows (checksum ${check.side.checksum}) vs ${check.source.rows} rows (checksum ${check.source.checksum}); nothing in production was changed`,
    );
  if (shape.key === null) return { rows: check.source.rows, comparison: null };
  const comparison = await compareTables(production, schema, table, sideTable, restored.sampleSize);
  return { rows: check.source.rows, comparison };
}
