import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tag } from './query-protocol';

export type DbInstanceStatus =
  'creating' | 'backing-up' | 'available' | 'starting' | 'deleting' | 'failed';

/** How a `creating` instance gets its data; kept so a restarted sandbox can finish the work. */
export type DbInstanceOrigin =
  | { kind: 'new'; masterPassword: string }
  | { kind: 'restore'; sourceResourceId: string; stopAt: string }
  | { kind: 'replica'; sourceIdentifier: string };

export interface DbInstanceRecord {
  identifier: string;
  /** Stable id of this incarnation (`db-…`): names its datadir and its binlog archive. */
  resourceId: string;
  dbInstanceClass: string;
  engine: string;
  engineVersion: string;
  status: DbInstanceStatus;
  masterUsername: string;
  dbName?: string;
  allocatedStorage: number;
  /**
   * The endpoint: a loopback address of the instance's own (so security groups can tell it from
   * other clients) and the port its security-group gate listens on.
   */
  address: string;
  port: number;
  /** Where its mariadbd listens (127.0.0.1): behind the gate, and for RDS-internal replication. */
  internalPort: number;
  serverId: number;
  /** The mariadbd serving it, while one runs. */
  pid?: number;
  createdAt: string;
  backupRetentionPeriod: number;
  vpcSecurityGroupIds: string[];
  tags: Tag[];
  publiclyAccessible: boolean;
  deletionProtection: boolean;
  readReplicaSourceIdentifier?: string;
  /** Present while the instance is `creating`. */
  origin?: DbInstanceOrigin;
}

export interface SecurityGroupRecord {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: Tag[];
}

export interface SecurityGroupRuleRecord {
  ruleId: string;
  groupId: string;
  isEgress: boolean;
  ipProtocol: string;
  fromPort: number;
  toPort: number;
  cidrIpv4?: string;
  referencedGroupId?: string;
  description?: string;
  tags: Tag[];
}

export type Ec2InstanceStateName = 'pending' | 'running' | 'stopped' | 'terminated';

export interface Ec2InstanceRecord {
  instanceId: string;
  imageId: string;
  instanceType: string;
  state: Ec2InstanceStateName;
  privateIpAddress: string;
  privateDnsName: string;
  launchTime: string;
  vpcId: string;
  subnetId: string;
  securityGroupIds: string[];
  tags: Tag[];
}

export interface ResourceRecordSetRecord {
  name: string;
  type: string;
  ttl?: number;
  values: string[];
  aliasTarget?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
}

export interface HostedZoneRecord {
  id: string;
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  vpcs: { vpcId: string; vpcRegion: string }[];
  recordSets: ResourceRecordSetRecord[];
}

export interface ChangeRecord {
  id: string;
  submittedAt: string;
  comment?: string;
}

export interface SandboxState {
  version: 1;
  /** Password of the `rdsrepladmin` user every instance has, for its read replicas. */
  replicationPassword: string;
  rds: { instances: Record<string, DbInstanceRecord>; nextServerId: number };
  ec2: {
    vpcId: string;
    subnetId: string;
    securityGroups: Record<string, SecurityGroupRecord>;
    rules: Record<string, SecurityGroupRuleRecord>;
    instances: Record<string, Ec2InstanceRecord>;
  };
  route53: { zones: Record<string, HostedZoneRecord>; changes: Record<string, ChangeRecord> };
}

export const ACCOUNT_ID = '000000000000';

/** The state file's name inside the sandbox data dir. */
export const STATE_FILE = 'state.json';

/** A hex id of AWS's usual length: `sg-0123…`, `db-…` etc. are built from it. */
export function randomId(length = 17): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

function initialState(): SandboxState {
  return {
    version: 1,
    replicationPassword: randomId(24),
    rds: { instances: {}, nextServerId: 100 },
    ec2: {
      vpcId: `vpc-${randomId()}`,
      subnetId: `subnet-${randomId()}`,
      securityGroups: {},
      rules: {},
      instances: {},
    },
    route53: { zones: {}, changes: {} },
  };
}

/**
 * The sandbox's whole state as one JSON document beside the mariadbd datadirs. Handlers mutate
 * `state` and call `save()`; the file is replaced atomically, so a crash leaves the old or the new
 * version, never half of one.
 */
export class StateStore {
  readonly state: SandboxState;

  constructor(private readonly path: string) {
    this.state = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as SandboxState)
      : initialState();
  }

  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state, null, 2));
    renameSync(temporary, this.path);
  }
}
