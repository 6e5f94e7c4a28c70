import type { RestoreWindow } from '../aws/rds-instance';
import type { DatabaseTarget } from '../config/databases';
import type { RestoreTableConfig } from '../config/restore-table';
import type { TemporaryInstanceFacts } from '../temporary-instance/temporary-instance-steps';
import type { TableTrigger } from './table-dependencies';

/** Rows missing from, changed in and extra in production, compared with the restored table. */
export interface RowCounts {
  missing: number;
  changed: number;
  extra: number;
}

/** What `/restore-table`'s plan says, besides the input: what the planner (or the job) found. */
export interface RestoreFacts extends TemporaryInstanceFacts {
  /** The restore window as the planner read it (a mid-run approval does not read it again). */
  window?: RestoreWindow;
  /** Once the copy is verified (the second approval's plan): the tables and the comparison. */
  verified?: { sideTable: string; beforeTable: string; counts: RowCounts | null };
  /** The INSERT triggers a merge fires on production's table (it runs only with --fire-triggers). */
  insertTriggers?: TableTrigger[];
}

export function restoreFacts(
  config: RestoreTableConfig,
  target: DatabaseTarget,
  found: Pick<RestoreFacts, 'window' | 'verified' | 'insertTriggers'> = {},
): RestoreFacts {
  return {
    sourceInstance: target.instance,
    securityGroupIds: config.securityGroupIds,
    ...found,
  };
}
