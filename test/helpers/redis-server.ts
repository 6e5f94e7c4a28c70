import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A redis-server of a test's own, on a free loopback port, configured by a file (passwords and
 * ACL users go in the file, never on its command line), gone when `stop` is called.
 */
export interface TestRedisServer {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts redis-server with `lines` added to a minimal config (no persistence). With `tls`, the
 * plain port is off and `port` is the TLS port. Resolves once it accepts connections.
 */
export async function startRedisServer(
  lines: string[],
  options: { tls?: boolean; dir?: string } = {},
): Promise<TestRedisServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'opsdeck-redis-'));
  const port = await freePort();
  const config = join(dir, 'redis.conf');
  writeFileSync(
    config,
    [
      'bind 127.0.0.1',
      options.tls ? 'port 0' : `port ${port}`,
      ...(options.tls ? [`tls-port ${port}`] : []),
      'save ""',
      'appendonly no',
      `dir ${dir}`,
      ...lines,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child: ChildProcess = spawn('redis-server', [config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      10_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
  return {
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A certificate authority and a server certificate it signed, made with openssl in `dir`:
 * `ca.pem`, `server.pem`, `server.key` (for the names in `altNames`, e.g. `DNS:localhost`), and
 * `other-ca.pem`, a CA that signed nothing here.
 */
export async function makeTestCertificates(dir: string, altNames: string): Promise<void> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  for (const ca of ['ca', 'other-ca']) {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=opsdeck test ${ca}`,
    );
  }
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=redis test server',
  );
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${altNames}\n`);
  await openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
}
