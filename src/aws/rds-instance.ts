import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ErrorCode, OpsdeckError } from '../errors';
import type { MysqlEndpoint } from '../mysql/database-access';

/** The instance, or undefined when RDS does not know it (DBInstanceNotFound). */
export async function describeInstance(
  rds: RDSClient,
  identifier: string,
  signal?: AbortSignal,
): Promise<DBInstance | undefined> {
  try {
    const { DBInstances } = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }),
      { abortSignal: signal },
    );
    return DBInstances?.[0];
  } catch (error) {
    if ((error as Error).name === 'DBInstanceNotFoundFault') return undefined;
    throw error;
  }
}

export function endpointOf(instance: DBInstance): MysqlEndpoint {
  const { Address, Port } = instance.Endpoint ?? {};
  if (!Address || !Port)
    throw new OpsdeckError(
      ErrorCode.RdsInstanceUnusable,
      `instance ${instance.DBInstanceIdentifier} has no endpoint yet (status ${instance.DBInstanceStatus})`,
    );
  return { host: Address, port: Port };
}

/** The span of times an instance can be restored to; null fields when there are no backups. */
export interface RestoreWindow {
  retentionDays: number;
  earliest: Date | null;
  latest: Date | null;
}

/**
 * Earliest from the automated backups' RestoreWindow, latest from LatestRestorableTime (as RDS
 * documents them). An instance without backups (retention 0) has no window.
 */
export async function readRestoreWindow(
  rds: RDSClient,
  instance: DBInstance,
  signal?: AbortSignal,
): Promise<RestoreWindow> {
  const retentionDays = instance.BackupRetentionPeriod ?? 0;
  if (retentionDays === 0) return { retentionDays, earliest: null, latest: null };
  let earliest: Date | null = null;
  try {
    const { DBInstanceAutomatedBackups } = await rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: instance.DbiResourceId }),
      { abortSignal: signal },
    );
    for (const backup of DBInstanceAutomatedBackups ?? []) {
      const time = backup.RestoreWindow?.EarliestTime;
      if (time && (earliest === null || time < earliest)) earliest = time;
    }
  } catch (error) {
    if ((error as Error).name !== 'DBInstanceAutomatedBackupNotFoundFault') throw error;
  }
  return { retentionDays, earliest, latest: instance.LatestRestorableTime ?? null };
}
