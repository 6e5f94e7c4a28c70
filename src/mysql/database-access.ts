import { resolve } from 'node:path';
import type { Pool } from 'mysql2/promise';
import type { MysqlTlsConfig } from '../config/config-fields';
import type { DatabaseTarget, DatabasesConfig } from '../config/databases';
import type { ReplicaPasswords } from '../config/secrets';
import type { ReplicasConfig, ReplicaTarget } from '../config/seed-slave';
import { ErrorCode, OpsdeckError } from '../errors';
import { loadMysqlTls, type MysqlTls } from './connection-tls';
import { createMysqlPool } from './mysql-pool';
import type { ReplicationChannelTls } from './replication-statements';

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
 * Passwords stay in this object: never in job data, logs or arguments. Each connection's `tls`
 * (its CA file read on first use, then kept) holds for every pool on it, every connect error
 * names the connection (`databases.<name>`, `replicas.<name>`), and connections leave from
 * `sourceAddress` when one is configured (`network.sourceAddress`).
 */
export class DatabaseAccess {
  private readonly tls = new Map<string, MysqlTls>();

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
    const connection = `databases.${name}`;
    return openPool(
      connection,
      endpoint,
      target.user,
      password,
      this.tlsOf(connection, target.tls),
      options,
      this.sourceAddress,
    );
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
    const connection = `replicas.${name}`;
    return openPool(
      connection,
      replica,
      replica.user,
      passwords.admin,
      this.tlsOf(connection, replica.tls),
      options,
      this.sourceAddress,
    );
  }

  /** The source account replica `name` replicates with: only for its CHANGE MASTER TO. */
  replicationCredentials(name: string): ReplicationCredentials {
    const replica = this.replica(name);
    const passwords = this.replicaPasswords[name];
    if (replica === undefined || passwords === undefined)
      throw new OpsdeckError(ErrorCode.ConfigInvalid, `no replica named ${name} is configured`);
    return { user: replica.replicationUser, password: passwords.replication };
  }

  /**
   * How replica `name` is to reach its source, for its CHANGE MASTER TO: the TLS mode and the CA
   * file's path on the replica host (a relative `sourceCaFile` is resolved here, against opsdeck's
   * working directory: right only for a replica on this host).
   */
  replicationChannelTls(name: string): ReplicationChannelTls {
    const replica = this.replica(name);
    if (replica === undefined)
      throw new OpsdeckError(ErrorCode.ConfigInvalid, `no replica named ${name} is configured`);
    return {
      mode: replica.sourceTls,
      ...(replica.sourceCaFile !== undefined && { caFile: resolve(replica.sourceCaFile) }),
    };
  }

  private tlsOf(connection: string, config: MysqlTlsConfig): MysqlTls {
    let tls = this.tls.get(connection);
    if (tls === undefined) {
      tls = loadMysqlTls(connection, config);
      this.tls.set(connection, tls);
    }
    return tls;
  }
}

function openPool(
  name: string,
  endpoint: MysqlEndpoint,
  user: string,
  password: string,
  tls: MysqlTls,
  options: PoolOptions,
  sourceAddress: string | undefined,
): Pool {
  return createMysqlPool(
    {
      name,
      host: endpoint.host,
      port: endpoint.port,
      user,
      password,
      tls,
      localAddress: sourceAddress,
    },
    {
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectionLimit: options.connections,
      maxIdle: options.connections,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
    },
  );
}
