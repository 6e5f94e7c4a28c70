import mysql, { type Pool } from 'mysql2/promise';
import type { DatabaseTarget, DatabasesConfig } from '../config/databases';
import type { ReplicaPasswords } from '../config/secrets';
import { ErrorCode, OpsdeckError } from '../errors';
import type { ReplicasConfig, ReplicaTarget } from '../config/seed-slave';
import { sourceAddressOptions } from './source-address';

/** Where a MySQL server listens (an RDS instance's Endpoint). */
export interface MysqlEndpoint {
  host: string;
  port: number;
}

export interface PoolOptions {
  connections: number;
  connectTimeoutMs?: number;
}

/** The account an external replica replicates with, for its CHANGE MASTER TO. */
export interface ReplicationCredentials {
  user: string;
  password: string;
}

/**
 * Opens connections to the MySQL servers the config names: the RDS databases (`databases`, and
 * instances restored or replicated from them, which keep their users) and the external replicas
 * (`replicas`), each with the account the config names and its password from the environment.
 * Passwords stay in this object: never in job data, logs or arguments. Connections leave from
 * `sourceAddress` when one is configured (`network.sourceAddress`).
 */
export class DatabaseAccess {
  constructor(
    private readonly databases: DatabasesConfig,
    private readonly passwords: Readonly<Record<string, string>>,
    private readonly replicas: ReplicasConfig = {},
    private readonly replicaPasswords: Readonly<Record<string, ReplicaPasswords>> = {},
    private readonly sourceAddress?: string,
  ) {}

  names(): string[] {
    return Object.keys(this.databases).sort();
  }

  target(name: string): DatabaseTarget | undefined {
    return Object.hasOwn(this.databases, name) ? this.databases[name] : undefined;
  }

  /** A pool on `endpoint` as database `name`'s account: utf8mb4, UTC, big numbers as strings. */
  openPool(name: string, endpoint: MysqlEndpoint, options: PoolOptions): Pool {
    const target = this.target(name);
    const password = this.passwords[name];
    if (target === undefined || password === undefined)
      throw new OpsdeckError(ErrorCode.ConfigInvalid, `no database named ${name} is configured`);
    return createPool(endpoint, target.user, password, options, this.sourceAddress);
  }

  replicaNames(): string[] {
    return Object.keys(this.replicas).sort();
  }

  replica(name: string): ReplicaTarget | undefined {
    return Object.hasOwn(this.replicas, name) ? this.replicas[name] : undefined;
  }

  /** A pool on replica `name` as its admin account (same session settings as openPool). */
  openReplicaPool(name: string, options: PoolOptions): Pool {
    const replica = this.replica(name);
    const passwords = this.replicaPasswords[name];
    if (replica === undefined || passwords === undefined)
      throw new OpsdeckError(ErrorCode.ConfigInvalid, `no replica named ${name} is configured`);
    return createPool(replica, replica.user, passwords.admin, options, this.sourceAddress);
  }

  /** The source account replica `name` replicates with: only for its CHANGE MASTER TO. */
  replicationCredentials(name: string): ReplicationCredentials {
    const replica = this.replica(name);
    const passwords = this.replicaPasswords[name];
    if (replica === undefined || passwords === undefined)
      throw new OpsdeckError(ErrorCode.ConfigInvalid, `no replica named ${name} is configured`);
    return { user: replica.replicationUser, password: passwords.replication };
  }
}

function createPool(
  endpoint: MysqlEndpoint,
  user: string,
  password: string,
  options: PoolOptions,
  sourceAddress: string | undefined,
): Pool {
  return mysql.createPool({
    host: endpoint.host,
    port: endpoint.port,
    ...sourceAddressOptions(endpoint, sourceAddress),
    user,
    password,
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectionLimit: options.connections,
    maxIdle: options.connections,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
  });
}
