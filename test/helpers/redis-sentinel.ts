import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { freePort } from '../../devkit/sandbox/free-port';
import { waitFor } from './wait-for';

/**
 * A Redis that fails over, on loopback, from Debian's redis-server and redis-sentinel: a primary,
 * one replica and three sentinels (quorum 2), each a child process of the test. Both data nodes
 * run as production should: AOF on (fsync every second; a killed process loses no acknowledged
 * write, the kernel has it), noeviction, and `min-replicas-to-write 0`: with a single replica,
 * refusing writes while no replica is connected would turn every failover into a write outage
 * until the old primary came back (README, "Redis that fails over"). The sentinels call a
 * primary down after 1 s without an answer (production: a few seconds).
 */

export const MASTER_NAME = 'opsdeck-failover';
const DOWN_AFTER_MS = 1000;

interface Node {
  port: number;
  process: ChildProcess;
  log: string[];
}

export class SentinelTopology {
  private constructor(
    private readonly dir: string,
    readonly primary: Node,
    readonly replica: Node,
    readonly sentinelNodes: Node[],
  ) {}

  static async start(): Promise<SentinelTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-sentinel-'));
    const [primaryPort, replicaPort, ...sentinelPorts] = await Promise.all(
      [0, 1, 2, 3, 4].map(() => freePort()),
    );
    const primary = startDataNode(dir, primaryPort!);
    const replica = startDataNode(dir, replicaPort!, primaryPort!);
    await waitFor(
      async () => (await info(primaryPort!, 'replication')).includes('state=online'),
      20_000,
      'the replica to be in sync',
    );
    const sentinels = sentinelPorts.map((port) => startSentinel(dir, port, primaryPort!));
    const topology = new SentinelTopology(dir, primary, replica, sentinels);
    // Every sentinel knows the replica and the two other sentinels (hello messages every 2 s):
    // only then can they agree on a failover.
    await waitFor(
      async () => {
        for (const port of sentinelPorts) {
          const master = await sentinelMaster(port!);
          if (master['num-slaves'] !== '1' || master['num-other-sentinels'] !== '2') return false;
        }
        return true;
      },
      30_000,
      'the sentinels to know the replica and each other',
    );
    return topology;
  }

  /** `127.0.0.1:<port>` of each sentinel, as `redis.sentinels` lists them. */
  get sentinels(): string[] {
    return this.sentinelNodes.map((node) => `127.0.0.1:${node.port}`);
  }

  /** The primary's port as the sentinels name it now. */
  async currentPrimaryPort(): Promise<number> {
    const client = new IORedis(this.sentinelNodes[0]!.port, '127.0.0.1', { lazyConnect: true });
    try {
      await client.connect();
      const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [
        string,
        string,
      ];
      return Number(port);
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILLs the primary (no shutdown, no last AOF write of any kind) and waits until it is gone. */
  async killPrimary(): Promise<void> {
    const exited = new Promise((resolve) => this.primary.process.once('exit', resolve));
    this.primary.process.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.primary, this.replica, ...this.sentinelNodes]
        .filter((node) => node.process.exitCode === null && node.process.signalCode === null)
        .map((node) => {
          const exited = new Promise((resolve) => node.process.once('exit', resolve));
          node.process.kill('SIGKILL');
          return exited;
        }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every node's log, for a failed test's message. */
  logs(): string {
    return [this.primary, this.replica, ...this.sentinelNodes]
      .map((node) => `--- ${node.port}\n${node.log.join('')}`)
      .join('\n');
  }
}

function startDataNode(dir: string, port: number, replicaOf?: number): Node {
  const data = join(dir, `redis-${port}`);
  mkdirSync(data);
  return spawnNode(port, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    data,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    '--min-replicas-to-write',
    '0',
    ...(replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(replicaOf)]),
  ]);
}

function startSentinel(dir: string, port: number, primaryPort: number): Node {
  const file = join(dir, `sentinel-${port}.conf`);
  // The sentinel rewrites its own file (what it learnt about the others): it must be writable.
  writeFileSync(
    file,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  return spawnNode(port, 'redis-sentinel', [file]);
}

function spawnNode(port: number, program: string, args: string[]): Node {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return { port, process: child, log };
}

async function withClient<T>(port: number, run: (client: IORedis) => Promise<T>): Promise<T> {
  const client = new IORedis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

async function info(port: number, section: string): Promise<string> {
  return withClient(port, (client) => client.info(section)).catch(() => '');
}

async function sentinelMaster(port: number): Promise<Record<string, string>> {
  return withClient(port, async (client) => {
    const flat = (await client.call('SENTINEL', 'master', MASTER_NAME)) as string[];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return fields;
  }).catch(() => ({}));
}
