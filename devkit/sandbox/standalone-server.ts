import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port';
import { MariadbSupervisor, runAsRoot } from './mariadb-process';
import { MACHINE_ADDRESS } from './network/loopback-addresses';
import { sourceAddressEnv } from './network/source-address-shim';
import { ensureTemplateDatadir } from './template-datadir';
import { ensureCertificateAuthority, ensureServerCertificate } from './tls-certificates';

/**
 * A MySQL server outside the cloud, as an on-premise replica of an RDS source is: one mariadbd
 * with its own datadir, binary log on, a server_id of its own and an admin account reachable over
 * TCP, and none of the RDS procedures (mysql.rds_*) a sandbox instance has. It stands at `host`, a
 * loopback address of its own: it listens there, and its replication connections to the sandbox
 * leave from there, so the source's security groups see it as they would see the real server. It
 * serves TLS with a certificate naming `host`, from a CA of its own (in its data dir), and by
 * default refuses plain TCP. For `/seed-slave` in console mode, its tests and its benchmark.
 */
export interface StandaloneServerOptions {
  /** Kept across starts: a second start with the same dir serves the same data. */
  dataDir: string;
  serverId: number;
  admin: { user: string; password: string };
  /** Its address (default 127.0.0.1, whatever connects without choosing one). */
  host?: string;
  /** Default: a free port. */
  port?: number;
  bufferPoolSize?: string;
  /** Refuse plain TCP connections (require_secure_transport); default true. */
  requireSecureTransport?: boolean;
}

export interface StandaloneServer {
  host: string;
  port: number;
  serverId: number;
  dataDir: string;
  /** The CA that signed the server's certificate (IP SAN `host`): `tls.caFile` for clients. */
  caFile: string;
  stop(): Promise<void>;
}

export async function startStandaloneServer(
  options: StandaloneServerOptions,
): Promise<StandaloneServer> {
  const supervisor = new MariadbSupervisor();
  const bufferPoolSize = options.bufferPoolSize ?? '128M';
  const tmpDir = join(options.dataDir, 'tmp');
  const serverDir = join(options.dataDir, 'data');
  await mkdir(tmpDir, { recursive: true });
  const fresh = !existsSync(join(serverDir, '.ready'));
  if (fresh) {
    const template = join(options.dataDir, 'template');
    await ensureTemplateDatadir(supervisor, template, {
      bufferPoolSize,
      tmpDir,
      rdsProcedures: false,
    });
    await cp(template, serverDir, { recursive: true });
  }
  const host = options.host ?? MACHINE_ADDRESS;
  const port = options.port ?? (await freePort(host));
  const ca = await ensureCertificateAuthority(
    join(options.dataDir, 'tls'),
    'opsdeck standalone CA',
  );
  const certificate = await ensureServerCertificate(ca, join(options.dataDir, 'tls', 'server'), {
    dnsNames: [`standalone-${options.serverId}.sandbox.internal`],
    ipAddresses: [host],
  });
  try {
    await supervisor.start({
      dataDir: serverDir,
      port,
      serverId: options.serverId,
      bufferPoolSize,
      binlog: true,
      tmpDir,
      tls: { ...certificate, requireSecureTransport: options.requireSecureTransport ?? true },
      bindAddress: host,
      ...(host !== MACHINE_ADDRESS && { env: await sourceAddressEnv(options.dataDir, host) }),
    });
    const { user, password } = options.admin;
    await runAsRoot(serverDir, "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [user, password]);
    await runAsRoot(serverDir, "ALTER USER ?@'%' IDENTIFIED BY ?", [user, password]);
    await runAsRoot(serverDir, "GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [user]);
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
  return {
    host,
    port,
    serverId: options.serverId,
    dataDir: serverDir,
    caFile: ca.caFile,
    stop: () => supervisor.stopAll(),
  };
}
