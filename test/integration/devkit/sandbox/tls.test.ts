import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { CreateDBInstanceReadReplicaCommand, type DBInstance } from '@aws-sdk/client-rds';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { ErrorCode } from '../../../../src/errors';
import { loadMysqlTls } from '../../../../src/mysql/connection-tls';
import { createMysqlPool } from '../../../../src/mysql/mysql-pool';
import { withPool } from '../../../../src/mysql/with-pool';
import { ensureCertificateAuthority } from '../../../../devkit/sandbox/tls-certificates';
import {
  connectTo,
  createTestInstance,
  describeTestInstance,
  MASTER,
  startTestSandbox,
  testClientsGroup,
  waitTestInstanceAvailable,
  type TestSandbox,
} from '../../../helpers/sandbox';
import { waitFor } from '../../../helpers/wait-for';

/**
 * The sandbox's instances behave like current RDS: TLS only (require_secure_transport=ON), a
 * certificate from the sandbox's CA naming the endpoint (its address 127.2.X.Y as an IP SAN, the
 * endpoint name as a DNS SAN, and 127.0.0.1 where its replicas reach its mariadbd), and read
 * replicas that replicate over TLS with the source's certificate checked. The TLS session passes
 * through the endpoint's gate (the security group check) to the mariadbd. A client checking
 * identity gets in; a plain one, one trusting another CA, and one dialling an address the
 * certificate does not hold are refused.
 */
describe('sandbox instances serve TLS only, with certificates from the sandbox CA', () => {
  let t: TestSandbox;
  let prod: DBInstance;
  let otherCaDir: string;

  beforeAll(async () => {
    t = await startTestSandbox();
    prod = await createTestInstance(t, 'prod', 'app');
    otherCaDir = mkdtempSync(join(tmpdir(), 'opsdeck-other-ca-'));
  });

  afterAll(async () => {
    await t.dispose();
    rmSync(otherCaDir, { recursive: true, force: true });
  });

  const endpoint = () => ({ host: prod.Endpoint!.Address!, port: prod.Endpoint!.Port! });

  /** A pool as the bot opens one: connection `databases.billing` with `tls`. */
  function botPool(
    tls: Parameters<typeof loadMysqlTls>[1],
    host = endpoint().host,
    port = endpoint().port,
  ) {
    return createMysqlPool(
      {
        name: 'databases.billing',
        host,
        port,
        user: MASTER.user,
        password: MASTER.password,
        tls: loadMysqlTls('databases.billing', tls),
      },
      { connectionLimit: 1, connectTimeout: 5000 },
    );
  }

  it('keeps its CA in its data dir', () => {
    expect(t.sandbox.caFile).toBe(join(t.sandbox.dataDir, 'tls', 'ca.pem'));
    const ca = new X509Certificate(readFileSync(t.sandbox.caFile));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toMatch(/CN=opsdeck sandbox CA/);
  });

  // The endpoint is an IP address: this passes only because the check is made against
  // 127.2.X.Y (mysql2 alone would check an IP endpoint as 'localhost', which no certificate here
  // names; see mysqlConnectOptions).
  it('lets in a client that checks the certificate and the name against the sandbox CA', async () => {
    const conn = await connectTo(t, prod, 'app');
    const [rows] = await conn.query<RowDataPacket[]>(
      "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')",
    );
    await conn.end();
    const status = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    expect(status.Ssl_version).toMatch(/^TLSv1\.[23]$/);
    expect(status.Ssl_cipher).not.toBe('');

    const [[serverCert]] = await withPool(
      botPool({ mode: 'verify-identity', caFile: t.sandbox.caFile }),
      (pool) => pool.query<RowDataPacket[]>('SELECT @@require_secure_transport AS required'),
    );
    expect(Number(serverCert!.required)).toBe(1);
  });

  it('refuses a plain connection (require_secure_transport=ON; MariaDB answers access denied)', async () => {
    await expect(
      mysql.createConnection({ ...endpoint(), user: MASTER.user, password: MASTER.password }),
    ).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 });
    // The same account and password over TLS is let in: the transport was refused, not the account.
    await withPool(botPool({ mode: 'required' }), (pool) => pool.query('SELECT 1'));
  });

  it('refuses a client that trusts another CA, naming the connection and the failure', async () => {
    const other = await ensureCertificateAuthority(otherCaDir, 'some other CA');
    const error = await withPool(
      botPool({ mode: 'verify-identity', caFile: other.caFile }),
      (pool) => pool.query('SELECT 1'),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ErrorCode.MysqlTlsUnknownCa,
      message: expect.stringContaining(
        `MySQL connection databases.billing (${endpoint().host}:${endpoint().port}): the server's certificate is not signed by a CA this connection trusts`,
      ),
    });
    expect((error as Error).message).toContain(`trusted: ${other.caFile}`);
    // Without caFile the default trust (public CAs and RDS's) does not know the sandbox CA either.
    await expect(
      withPool(botPool({ mode: 'verify-identity' }), (pool) => pool.query('SELECT 1')),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlTlsUnknownCa });
  });

  it('refuses a client that dialled an address the certificate does not hold', async () => {
    // 127.0.0.77 reaches the same server (a forwarder to its endpoint, as an alias would), but the
    // certificate names the endpoint's address, 127.0.0.1 and the endpoint name.
    const alias = await forwarder('127.0.0.77', endpoint());
    try {
      await expect(
        withPool(
          botPool({ mode: 'verify-identity', caFile: t.sandbox.caFile }, alias.host, alias.port),
          (pool) => pool.query('SELECT 1'),
        ),
      ).rejects.toMatchObject({
        code: ErrorCode.MysqlTlsNameMismatch,
        message: expect.stringContaining(
          `databases.billing (127.0.0.77:${alias.port}): the server's certificate does not name 127.0.0.77 (IP: 127.0.0.77 is not in the cert's list: ${endpoint().host}, 127.0.0.1)`,
        ),
      });
      // `required` with the CA checks the chain and not the name: the same dial is let in.
      await withPool(
        botPool({ mode: 'required', caFile: t.sandbox.caFile }, alias.host, alias.port),
        (pool) => pool.query('SELECT 1'),
      );
    } finally {
      await alias.close();
    }
  });

  it('makes read replicas that replicate over TLS with the source certificate checked', async () => {
    await t.clients.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'prod-replica',
        SourceDBInstanceIdentifier: 'prod',
        VpcSecurityGroupIds: [await testClientsGroup(t)],
      }),
    );
    await waitTestInstanceAvailable(t, 'prod-replica');
    const replica = await describeTestInstance(t, 'prod-replica');
    const conn = await connectTo(t, replica);
    try {
      const [[status]] = await conn.query<RowDataPacket[]>('SHOW SLAVE STATUS');
      expect(status).toMatchObject({
        Slave_IO_Running: 'Yes',
        Master_SSL_Allowed: 'Yes',
        Master_SSL_CA_File: t.sandbox.caFile,
        Master_SSL_Verify_Server_Cert: 'Yes',
      });
    } finally {
      await conn.end();
    }
  });

  it('switches a replica left on a plain channel (an older sandbox) to TLS at the next start', async () => {
    const replicaChannel = async () => {
      const replica = await describeTestInstance(t, 'prod-replica');
      const conn = await connectTo(t, replica);
      try {
        const [[status]] = await conn.query<RowDataPacket[]>('SHOW SLAVE STATUS');
        return status!;
      } finally {
        await conn.end();
      }
    };
    const conn = await connectTo(t, await describeTestInstance(t, 'prod-replica'));
    await conn.query('STOP SLAVE');
    await conn.query(
      "CHANGE MASTER TO MASTER_SSL = 0, MASTER_SSL_CA = '', MASTER_SSL_VERIFY_SERVER_CERT = 0",
    );
    await conn.query('START SLAVE');
    await conn.end();
    // The TLS-only source refuses the plain channel.
    await waitFor(
      async () => ((await replicaChannel()).Last_IO_Errno === 1045 ? true : undefined),
      30_000,
      'the plain channel to be refused',
    );

    await t.sandbox.stop();
    t = await startTestSandbox({ dataDir: t.dataDir });
    await waitTestInstanceAvailable(t, 'prod-replica');
    await waitFor(
      async () => ((await replicaChannel()).Slave_IO_Running === 'Yes' ? true : undefined),
      // A replica that started before its source waits Connect_Retry (60 s) to try again.
      100_000,
      'the replica to connect over TLS',
    );
    expect(await replicaChannel()).toMatchObject({
      Master_SSL_Allowed: 'Yes',
      Master_SSL_CA_File: t.sandbox.caFile,
      Master_SSL_Verify_Server_Cert: 'Yes',
      Last_IO_Errno: 0,
    });
  }, 150_000);

  it('gives an instance whose endpoint moved at a restart a certificate naming its new address', async () => {
    const before = endpoint();
    await t.sandbox.stop();
    // Something else took the endpoint meanwhile: the instance comes back at another address.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(before.port, before.host, resolve));
    try {
      t = await startTestSandbox({ dataDir: t.dataDir });
      await waitTestInstanceAvailable(t, 'prod');
      prod = await describeTestInstance(t, 'prod');
      expect(endpoint().host).not.toBe(before.host);
      const conn = await connectTo(t, prod, 'app');
      const [[row]] = await conn.query<RowDataPacket[]>('SELECT 1 AS one');
      await conn.end();
      expect(row).toEqual({ one: 1 });
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  }, 150_000);
});

/** A TCP forwarder on `host` (a free port) to `target`: another address for the same server. */
async function forwarder(
  host: string,
  target: { host: string; port: number },
): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.once('close', () => sockets.delete(socket));
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
