import mysql, { type Pool } from 'mysql2/promise';
import type { DatabaseTarget, DatabasesConfig } from '../aws/database-targets';
import { ErrorCode, OpsdeckError } from '../errors';

/** Where a MySQL server listens (an RDS instance's Endpoint). */
export interface MysqlEndpoint {
  host: string;
  port: number;
}

export interface PoolOptions {
  connections: number;
  connectTimeoutMs?: number;
}

/**
 * Opens connections to the configured databases (and to instances restored from them, which keep
 * their users) with the account the config names and its password from the environment. The
 * password stays in this object: never in job data, logs or arguments.
 */
export class DatabaseAccess {
  constructor(
    private readonly databases: DatabasesConfig,
    private readonly passwords: Readonly<Record<string, string>>,
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
    return mysql.createPool({
      host: endpoint.host,
      port: endpoint.port,
      user: target.user,
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
}
