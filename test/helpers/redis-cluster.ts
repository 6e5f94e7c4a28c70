import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { freePort } from '../../devkit/sandbox/free-port';
import { waitFor } from './wait-for';

/**
 * A Redis Cluster on loopback from Debian's redis-server: three primaries holding the 16384
 * slots between them (`redis-cli --cluster create`), AOF on and noeviction like production,
 * each a child process of the test.
 */
export class RedisClusterTopology {
  private constructor(
    private readonly dir: string,
    readonly ports: number[],
    private readonly processes: ChildProcess[],
  ) {}

  static async start(size = 3): Promise<RedisClusterTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-cluster-'));
    const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
    const processes = ports.map((port) => {
      const data = join(dir, String(port));
      mkdirSync(data);
      return spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          data,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(data, 'nodes.conf'),
          '--appendonly',
          'yes',
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
    });
    const topology = new RedisClusterTopology(dir, ports, processes);
    try {
      await waitFor(
        async () => (await Promise.all(ports.map(ping))).every(Boolean),
        20_000,
        'nodes',
      );
      await promisify(execFile)('redis-cli', [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await waitFor(
        async () =>
          (await Promise.all(ports.map(clusterInfo))).every((info) =>
            info.includes('cluster_state:ok'),
          ),
        30_000,
        'cluster_state:ok on every node',
      );
    } catch (error) {
      await topology.stop();
      throw error;
    }
    return topology;
  }

  /** `127.0.0.1:<port>` of each node, as `redis.cluster` lists them. */
  get nodes(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes
        .filter((child) => child.exitCode === null && child.signalCode === null)
        .map((child) => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          return exited;
        }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function withNode<T>(port: number, run: (client: IORedis) => Promise<T>, fallback: T) {
  const client = new IORedis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await run(client);
  } catch {
    return fallback;
  } finally {
    client.disconnect();
  }
}

const ping = (port: number) => withNode(port, async (c) => (await c.ping()) === 'PONG', false);
const clusterInfo = (port: number) =>
  withNode(port, async (c) => String(await c.call('CLUSTER', 'INFO')), '');
