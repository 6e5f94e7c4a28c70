import { AwsError, invalidParameterValue } from '../aws-error';
import { freePort } from '../free-port';
import { page, pageSize } from '../pagination';
import {
  optionalBoolean,
  optionalNumber,
  optionalString,
  requiredString,
  stringList,
  tagList,
  treeList,
  type QueryTree,
} from '../query-protocol';
import type { QueryService } from '../server';
import { ACCOUNT_ID, randomId, type DbInstanceRecord, type StateStore } from '../state-store';
import type { XmlObject } from '../xml';
import type { DbGate } from '../network/db-gate';
import type { DbInstanceFleet } from './db-instance-fleet';
import { isWithin, replayStopFor, restoreWindow } from './restore-window';
import { automatedBackupXml, dbInstanceXml, tagListXml, type DbInstanceView } from './rds-xml';

export const RDS_VERSION = '2014-10-31';
const NAMESPACE = `http://rds.amazonaws.com/doc/${RDS_VERSION}/`;

export interface RdsServiceOptions {
  region: string;
  restorableLagMs: number;
  /** The security group an instance (new, restored, replica) lands in when none is given. */
  defaultSecurityGroupId: () => string;
}

/** The port of a new MySQL or MariaDB instance unless `Port` says otherwise. */
const MYSQL_PORT = 3306;

const IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,62}$/;

const DB_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const alreadyExists = () => new AwsError('DBInstanceAlreadyExists', 'DB instance already exists');

const notFound = (identifier: string) =>
  new AwsError('DBInstanceNotFound', `DBInstance ${identifier} not found.`, 404);

/** The RDS Query API over the fleet of mariadbd instances. */
export function createRdsService(
  store: StateStore,
  fleet: DbInstanceFleet,
  options: RdsServiceOptions,
): QueryService {
  const arnOf = (identifier: string) =>
    `arn:aws:rds:${options.region}:${ACCOUNT_ID}:db:${identifier}`;

  const viewOf = (record: DbInstanceRecord): DbInstanceView => ({
    arn: arnOf(record.identifier),
    region: options.region,
    replicaIdentifiers: Object.values(fleet.records)
      .filter((other) => other.readReplicaSourceIdentifier === record.identifier)
      .map((other) => other.identifier),
    window: restoreWindow(
      new Date(record.createdAt),
      record.backupRetentionPeriod,
      new Date(),
      options.restorableLagMs,
    ),
  });

  const describe = (record: DbInstanceRecord) => dbInstanceXml(record, viewOf(record));

  const find = (identifier: string): DbInstanceRecord => {
    const record = fleet.records[identifier.toLowerCase()];
    if (!record) throw notFound(identifier);
    return record;
  };

  const newIdentifier = (params: QueryTree, key: string): string => {
    const identifier = requiredString(params, key).toLowerCase();
    if (!IDENTIFIER.test(identifier) || identifier.endsWith('-')) {
      throw invalidParameterValue(
        `The parameter ${key} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
      );
    }
    if (fleet.records[identifier]) throw alreadyExists();
    return identifier;
  };

  /**
   * A `creating` instance's record, its endpoint opened: a loopback address of its own with the
   * port asked for (`Port`, else `defaultPort`: 3306 for a new instance, the source's for a
   * restore or a replica, as RDS does).
   */
  const newRecord = async (
    identifier: string,
    params: QueryTree,
    defaultPort: number,
    fields: Omit<
      DbInstanceRecord,
      | 'identifier'
      | 'resourceId'
      | 'status'
      | 'address'
      | 'port'
      | 'internalPort'
      | 'serverId'
      | 'createdAt'
    >,
  ): Promise<{ record: DbInstanceRecord; endpoint: DbGate }> => {
    const port = optionalNumber(params, 'Port') ?? defaultPort;
    if (!Number.isInteger(port) || port < 1150 || port > 65535)
      throw invalidParameterValue('Invalid port: must be between 1150 and 65535.');
    const internalPort = await freePort();
    const { address, gate } = await fleet.openEndpoint(identifier, port);
    if (fleet.records[identifier]) {
      await gate.close();
      throw alreadyExists(); // created by a concurrent request
    }
    const record: DbInstanceRecord = {
      identifier,
      resourceId: `db-${randomId(26).toUpperCase()}`,
      status: 'creating',
      address,
      port,
      internalPort,
      serverId: store.state.rds.nextServerId++,
      createdAt: new Date().toISOString(),
      ...fields,
    };
    return { record, endpoint: gate };
  };

  /** VpcSecurityGroupIds, each an existing group; the VPC's default group when none is named. */
  const securityGroups = (params: QueryTree): string[] => {
    const ids = stringList(params, 'VpcSecurityGroupIds');
    for (const id of ids) {
      if (!store.state.ec2.securityGroups[id])
        throw invalidParameterValue(`Invalid security group, groupId= ${id}, groupName=.`);
    }
    return ids.length > 0 ? ids : [options.defaultSecurityGroupId()];
  };

  const actions: QueryService['actions'] = {
    async CreateDBInstance(params) {
      const identifier = newIdentifier(params, 'DBInstanceIdentifier');
      const masterUsername = requiredString(params, 'MasterUsername');
      const masterPassword = requiredString(params, 'MasterUserPassword');
      const retention = optionalNumber(params, 'BackupRetentionPeriod') ?? 1;
      if (!Number.isInteger(retention) || retention < 0 || retention > 35) {
        throw invalidParameterValue('The backup retention period must be between 0 and 35 days.');
      }
      const dbName = optionalString(params, 'DBName');
      if (dbName !== undefined && !DB_NAME.test(dbName)) {
        throw invalidParameterValue(
          'DBName must begin with a letter and contain only letters, digits and underscores (at most 64).',
        );
      }
      const { record, endpoint } = await newRecord(identifier, params, MYSQL_PORT, {
        dbInstanceClass: requiredString(params, 'DBInstanceClass'),
        engine: requiredString(params, 'Engine'),
        engineVersion: optionalString(params, 'EngineVersion') ?? '8.0.40',
        masterUsername,
        dbName,
        allocatedStorage: optionalNumber(params, 'AllocatedStorage') ?? 20,
        backupRetentionPeriod: retention,
        vpcSecurityGroupIds: securityGroups(params),
        tags: tagList(params, 'Tags'),
        publiclyAccessible: optionalBoolean(params, 'PubliclyAccessible') ?? false,
        deletionProtection: optionalBoolean(params, 'DeletionProtection') ?? false,
        origin: { kind: 'new', masterPassword },
      });
      fleet.create(record, endpoint);
      return { DBInstance: describe(record) };
    },

    DescribeDBInstances(params) {
      const identifier = optionalString(params, 'DBInstanceIdentifier');
      let records = identifier ? [find(identifier)] : sortedRecords();
      for (const filter of treeList(params, 'Filters')) {
        const name = requiredString(filter, 'Name');
        const values = stringList(filter, 'Values');
        if (name !== 'db-instance-id' && name !== 'dbi-resource-id') {
          throw invalidParameterValue(`Unrecognized filter name: ${name}`);
        }
        records = records.filter((record) =>
          name === 'db-instance-id'
            ? values.includes(record.identifier) || values.includes(arnOf(record.identifier))
            : values.includes(record.resourceId),
        );
      }
      const size = pageSize(optionalNumber(params, 'MaxRecords'), 'MaxRecords', {
        min: 20,
        max: 100,
      });
      const { items, next } = page(records, optionalString(params, 'Marker'), size);
      return { Marker: next, DBInstances: { DBInstance: items.map(describe) } };
    },

    DeleteDBInstance(params) {
      const record = find(requiredString(params, 'DBInstanceIdentifier'));
      const skipFinalSnapshot = optionalBoolean(params, 'SkipFinalSnapshot') ?? false;
      const finalSnapshot = optionalString(params, 'FinalDBSnapshotIdentifier');
      if (record.status === 'deleting') {
        throw new AwsError(
          'InvalidDBInstanceState',
          `Instance ${record.identifier} is already being deleted.`,
        );
      }
      if (record.deletionProtection) {
        throw new AwsError(
          'InvalidParameterCombination',
          'Cannot delete protected DB Instance, please disable deletion protection and try again.',
        );
      }
      if (skipFinalSnapshot && finalSnapshot !== undefined) {
        throw new AwsError(
          'InvalidParameterCombination',
          'Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.',
        );
      }
      if (!skipFinalSnapshot && !record.readReplicaSourceIdentifier) {
        throw new AwsError(
          'InvalidParameterCombination',
          finalSnapshot === undefined
            ? 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.'
            : 'The sandbox does not take DB snapshots: delete with SkipFinalSnapshot=true.',
        );
      }
      fleet.delete(record);
      return { DBInstance: describe(record) };
    },

    async RestoreDBInstanceToPointInTime(params) {
      const source = find(
        optionalString(params, 'SourceDBInstanceIdentifier') ??
          resourceIdentifier(requiredString(params, 'SourceDbiResourceId')),
      );
      const identifier = newIdentifier(params, 'TargetDBInstanceIdentifier');
      const stopAt = restoreStop(source, params);
      const { record, endpoint } = await newRecord(identifier, params, source.port, {
        ...copiedFrom(source, params),
        backupRetentionPeriod: source.backupRetentionPeriod,
        vpcSecurityGroupIds: securityGroups(params),
        tags: tagList(params, 'Tags'),
        publiclyAccessible: optionalBoolean(params, 'PubliclyAccessible') ?? false,
        deletionProtection: optionalBoolean(params, 'DeletionProtection') ?? false,
        origin: {
          kind: 'restore',
          sourceResourceId: source.resourceId,
          stopAt: stopAt.toISOString(),
        },
      });
      fleet.create(record, endpoint);
      return { DBInstance: describe(record) };
    },

    async CreateDBInstanceReadReplica(params) {
      const source = find(requiredString(params, 'SourceDBInstanceIdentifier'));
      const identifier = newIdentifier(params, 'DBInstanceIdentifier');
      if (source.status !== 'available') {
        throw new AwsError(
          'InvalidDBInstanceState',
          `DB instance ${source.identifier} is not in available state.`,
        );
      }
      if (source.backupRetentionPeriod === 0) {
        throw new AwsError(
          'InvalidDBInstanceState',
          'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
        );
      }
      const { record, endpoint } = await newRecord(identifier, params, source.port, {
        ...copiedFrom(source, params),
        backupRetentionPeriod: 0,
        vpcSecurityGroupIds: securityGroups(params),
        tags: tagList(params, 'Tags'),
        publiclyAccessible: optionalBoolean(params, 'PubliclyAccessible') ?? false,
        deletionProtection: optionalBoolean(params, 'DeletionProtection') ?? false,
        readReplicaSourceIdentifier: source.identifier,
        origin: { kind: 'replica', sourceIdentifier: source.identifier },
      });
      fleet.create(record, endpoint);
      return { DBInstance: describe(record) };
    },

    DescribeDBInstanceAutomatedBackups(params) {
      const identifier = optionalString(params, 'DBInstanceIdentifier')?.toLowerCase();
      const resourceId = optionalString(params, 'DbiResourceId');
      const records = sortedRecords().filter(
        (record) =>
          record.backupRetentionPeriod > 0 &&
          record.status !== 'creating' &&
          (identifier === undefined || record.identifier === identifier) &&
          (resourceId === undefined || record.resourceId === resourceId),
      );
      if ((identifier !== undefined || resourceId !== undefined) && records.length === 0) {
        throw new AwsError(
          'DBInstanceAutomatedBackupNotFound',
          `No automated backup found for ${identifier ?? resourceId}.`,
          404,
        );
      }
      const size = pageSize(optionalNumber(params, 'MaxRecords'), 'MaxRecords', {
        min: 20,
        max: 100,
      });
      const { items, next } = page(records, optionalString(params, 'Marker'), size);
      return {
        Marker: next,
        DBInstanceAutomatedBackups: {
          DBInstanceAutomatedBackup: items.map((record) =>
            automatedBackupXml(record, viewOf(record)),
          ),
        },
      };
    },

    AddTagsToResource(params) {
      const record = byArn(requiredString(params, 'ResourceName'));
      for (const tag of tagList(params, 'Tags')) {
        record.tags = [...record.tags.filter((existing) => existing.Key !== tag.Key), tag];
      }
      store.save();
      return {};
    },

    RemoveTagsFromResource(params) {
      const record = byArn(requiredString(params, 'ResourceName'));
      const keys = stringList(params, 'TagKeys');
      record.tags = record.tags.filter((tag) => !keys.includes(tag.Key));
      store.save();
      return {};
    },

    ListTagsForResource(params): XmlObject {
      return { TagList: tagListXml(byArn(requiredString(params, 'ResourceName')).tags) };
    },
  };

  function sortedRecords(): DbInstanceRecord[] {
    return Object.values(fleet.records).sort((a, b) => a.identifier.localeCompare(b.identifier));
  }

  function byArn(arn: string): DbInstanceRecord {
    const match = /^arn:aws:rds:[^:]*:\d+:db:(.+)$/.exec(arn);
    if (!match) throw invalidParameterValue(`Invalid resource name: ${arn}`);
    return find(match[1]!);
  }

  function resourceIdentifier(resourceId: string): string {
    const record = Object.values(fleet.records).find(
      (candidate) => candidate.resourceId === resourceId,
    );
    if (!record) throw notFound(resourceId);
    return record.identifier;
  }

  /** Validates RestoreTime / UseLatestRestorableTime against the source's window. */
  /** What a restored instance and a read replica take from their source (class overridable). */
  function copiedFrom(source: DbInstanceRecord, params: QueryTree) {
    return {
      dbInstanceClass: optionalString(params, 'DBInstanceClass') ?? source.dbInstanceClass,
      engine: source.engine,
      engineVersion: source.engineVersion,
      masterUsername: source.masterUsername,
      dbName: source.dbName,
      allocatedStorage: source.allocatedStorage,
    };
  }

  function restoreStop(source: DbInstanceRecord, params: QueryTree): Date {
    const restoreTime = optionalString(params, 'RestoreTime');
    const useLatest = optionalBoolean(params, 'UseLatestRestorableTime') ?? false;
    if (restoreTime !== undefined && useLatest) {
      throw new AwsError(
        'InvalidParameterCombination',
        'Cannot specify both RestoreTime and UseLatestRestorableTime.',
      );
    }
    if (restoreTime === undefined && !useLatest) {
      throw new AwsError(
        'InvalidParameterCombination',
        'Either RestoreTime or UseLatestRestorableTime must be specified.',
      );
    }
    if (source.status === 'creating' || source.status === 'failed') {
      throw new AwsError(
        'InvalidDBInstanceState',
        `DB instance ${source.identifier} is not in a restorable state.`,
      );
    }
    const window = viewOf(source).window;
    if (!window) {
      throw new AwsError(
        'PointInTimeRestoreNotEnabled',
        `Point-in-time restore is not enabled for DB instance ${source.identifier}: its backup retention period is 0.`,
      );
    }
    const time = useLatest ? window.latest : new Date(restoreTime!);
    if (Number.isNaN(time.getTime()))
      throw invalidParameterValue(`Invalid RestoreTime: ${restoreTime}`);
    if (!isWithin(window, time)) {
      throw new AwsError(
        'InvalidRestoreFault',
        `The restore time ${time.toISOString()} is outside the restore window ${window.earliest.toISOString()} - ${window.latest.toISOString()} of ${source.identifier}.`,
      );
    }
    return replayStopFor(time);
  }

  return { version: RDS_VERSION, namespace: NAMESPACE, style: 'query', iamPrefix: 'rds', actions };
}
