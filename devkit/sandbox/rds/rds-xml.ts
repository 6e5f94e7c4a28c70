import type { Tag } from '../query-protocol';
import type { DbInstanceRecord } from '../state-store';
import type { XmlObject } from '../xml';
import type { RestoreWindow } from './restore-window';

/** What DescribeDBInstances shows that is not stored on the record itself. */
export interface DbInstanceView {
  arn: string;
  replicaIdentifiers: string[];
  window: RestoreWindow | null;
  region: string;
}

export const tagListXml = (tags: Tag[]): XmlObject => ({ Tag: tags });

/** One `<DBInstance>` in the shape of the RDS 2014-10-31 API. */
export function dbInstanceXml(record: DbInstanceRecord, view: DbInstanceView): XmlObject {
  const reachable = record.status !== 'creating' && record.status !== 'failed';
  return {
    DBInstanceIdentifier: record.identifier,
    DBInstanceClass: record.dbInstanceClass,
    Engine: record.engine,
    DBInstanceStatus: record.status,
    MasterUsername: record.masterUsername,
    DBName: record.dbName,
    Endpoint: reachable
      ? { Address: record.address, Port: record.port, HostedZoneId: 'Z2R2ITUGPM61AM' }
      : undefined,
    AllocatedStorage: record.allocatedStorage,
    InstanceCreateTime: record.status === 'creating' ? undefined : new Date(record.createdAt),
    PreferredBackupWindow: '03:00-03:30',
    BackupRetentionPeriod: record.backupRetentionPeriod,
    VpcSecurityGroups: {
      VpcSecurityGroupMembership: record.vpcSecurityGroupIds.map((id) => ({
        VpcSecurityGroupId: id,
        Status: 'active',
      })),
    },
    AvailabilityZone: `${view.region}a`,
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    LatestRestorableTime:
      view.window && record.status === 'available' ? view.window.latest : undefined,
    MultiAZ: false,
    EngineVersion: record.engineVersion,
    AutoMinorVersionUpgrade: true,
    ReadReplicaSourceDBInstanceIdentifier: record.readReplicaSourceIdentifier,
    ReadReplicaDBInstanceIdentifiers: { ReadReplicaDBInstanceIdentifier: view.replicaIdentifiers },
    LicenseModel: 'general-public-license',
    PubliclyAccessible: record.publiclyAccessible,
    StorageType: 'gp3',
    StorageEncrypted: false,
    DbiResourceId: record.resourceId,
    DBInstanceArn: view.arn,
    TagList: tagListXml(record.tags),
    DeletionProtection: record.deletionProtection,
  };
}

export function automatedBackupXml(record: DbInstanceRecord, view: DbInstanceView): XmlObject {
  return {
    DBInstanceArn: view.arn,
    DbiResourceId: record.resourceId,
    Region: view.region,
    DBInstanceIdentifier: record.identifier,
    RestoreWindow: view.window
      ? { EarliestTime: view.window.earliest, LatestTime: view.window.latest }
      : undefined,
    AllocatedStorage: record.allocatedStorage,
    Status: 'active',
    Port: record.port,
    InstanceCreateTime: new Date(record.createdAt),
    MasterUsername: record.masterUsername,
    Engine: record.engine,
    EngineVersion: record.engineVersion,
    BackupRetentionPeriod: record.backupRetentionPeriod,
    PreferredBackupWindow: '03:00-03:30',
    TagList: tagListXml(record.tags),
  };
}
