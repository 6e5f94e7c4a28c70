import mysql, { type Pool, type PoolOptions as Mysql2PoolOptions } from 'mysql2/promise';
import { describeConnectFailure, type ConnectionIdentity } from './connect-error';
import { mysqlConnectOptions } from './connect-options';
import type { MysqlTls } from './connection-tls';

/** One configured MySQL connection: its name in the config, server, account and TLS. */
export interface MysqlConnection {
  /** `mysql`, `audit`, `databases.<name>`, `replicas.<name>`: named in every connect error. */
  name: string;
  host: string;
  port: number;
  user: string;
  password?: string;
  tls: MysqlTls;
  /** The address its sockets leave from (`network.sourceAddress`); default: the system's choice. */
  localAddress?: string | undefined;
}

type CorePool = { getConnection(cb: (error: unknown, connection?: unknown) => void): void };

/**
 * Every pool opsdeck opens on a configured server comes from here: with the connection's TLS
 * settings, its sockets leaving from its source address (see connect-options.ts), and with each
 * failure to connect turned into an error that names the connection and the TLS failure (see
 * connect-error.ts). Every statement of a pool takes its connection through the core pool's
 * getConnection, so wrapping that one call covers query, execute and getConnection alike.
 */
export function createMysqlPool(
  connection: MysqlConnection,
  options: Omit<Mysql2PoolOptions, 'host' | 'port' | 'user' | 'password' | 'ssl' | 'stream'>,
): Pool {
  const { name, host, port, user, password, tls, localAddress } = connection;
  const pool = mysql.createPool({
    ...options,
    host,
    port,
    user,
    ...(password !== undefined && { password }),
    ...mysqlConnectOptions({ host, port }, tls, { localAddress }),
  });
  const identity: ConnectionIdentity = { name, host, port, tls };
  const core = (pool as unknown as { pool: CorePool }).pool;
  const getConnection = core.getConnection.bind(core);
  core.getConnection = (cb) =>
    getConnection((error, conn) =>
      error ? cb(describeConnectFailure(error, identity)) : cb(null, conn),
    );
  return pool;
}
