import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

const MARIADBD = existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface MariadbdOptions {
  dataDir: string;
  port: number;
  serverId: number;
  bufferPoolSize: string;
  /** Off only for the template, whose setup must not land in any instance's history. */
  binlog: boolean;
  /** The sandbox's own temp dir: a shared /tmp may be cleaned under a running server's feet. */
  tmpDir: string;
  /**
   * TLS over TCP: the server's certificate and key, and whether plain TCP connections are refused
   * (require_secure_transport; the socket root uses stays allowed). Absent: plain TCP only.
   */
  tls?: { certFile: string; keyFile: string; requireSecureTransport: boolean };
  /** Appended last, so they override the small-footprint defaults (a benchmark's bigger redo log). */
  extraArgs?: string[];
  /** Where it listens for TCP (default 127.0.0.1). */
  bindAddress?: string;
  /** Added to the server's environment. */
  env?: Record<string, string>;
}

export const socketPath = (dataDir: string) => join(dataDir, 'mysqld.sock');

/** Small-footprint settings: many instances run side by side on a laptop or a 2-core runner. */
export function mariadbdArgs(options: MariadbdOptions): string[] {
  const { dataDir } = options;
  return [
    '--no-defaults',
    '--user=root',
    `--datadir=${dataDir}`,
    `--port=${options.port}`,
    `--bind-address=${options.bindAddress ?? '127.0.0.1'}`,
    `--socket=${socketPath(dataDir)}`,
    `--pid-file=${join(dataDir, 'mariadbd.pid')}`,
    `--log-error=${join(dataDir, 'error.log')}`,
    `--tmpdir=${options.tmpDir}`,
    `--server-id=${options.serverId}`,
    ...(options.binlog
      ? ['--log-bin=binlog', '--binlog-format=ROW', '--log-slave-updates', '--relay-log=relay-bin']
      : ['--skip-log-bin']),
    `--innodb-buffer-pool-size=${options.bufferPoolSize}`,
    '--innodb-log-file-size=8M',
    '--innodb-flush-log-at-trx-commit=2',
    '--skip-innodb-doublewrite',
    '--performance-schema=OFF',
    '--skip-name-resolve',
    '--max-connections=60',
    // RDS MySQL 8's default is 64M; replaying a big statement's row events needs it large.
    '--max-allowed-packet=64M',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    ...(options.tls
      ? [
          `--ssl-cert=${options.tls.certFile}`,
          `--ssl-key=${options.tls.keyFile}`,
          `--require-secure-transport=${options.tls.requireSecureTransport ? 'ON' : 'OFF'}`,
        ]
      : []),
    ...(options.extraArgs ?? []),
  ];
}

/**
 * Starts and stops mariadbd processes and remembers every one it started, so that `stopAll`
 * leaves none behind. After `stopAll` it refuses to start more.
 */
export class MariadbSupervisor {
  private readonly children = new Map<number, ChildProcess>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  async start(options: MariadbdOptions): Promise<number> {
    if (this.closed) throw new Error('the sandbox is stopping; no new mariadbd is started');
    const child = spawn(MARIADBD, mariadbdArgs(options), {
      stdio: 'ignore',
      ...(options.env && { env: { ...process.env, ...options.env } }),
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start ${MARIADBD}`);
    this.children.set(pid, child);
    child.once('exit', () => this.children.delete(pid));
    try {
      await waitUntilReady(options.dataDir, child);
    } catch (error) {
      await this.stop(pid);
      throw error;
    }
    return pid;
  }

  /** Clean shutdown (SIGTERM), SIGKILL if it takes too long. Also for processes of a past run. */
  async stop(pid: number): Promise<void> {
    if (!isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(pid)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
      await sleep(50);
    }
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.children.keys()].map((pid) => this.stop(pid)));
  }
}

/** True if `pid` is a live mariadbd serving `dataDir` (a leftover of a previous sandbox run). */
export function isMariadbdFor(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(`--datadir=${dataDir}`);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) counts as gone.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntilReady(dataDir: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mariadbd for ${dataDir} exited during startup:\n${errorLogTail(dataDir)}`);
    }
    try {
      const conn = await connectRoot(dataDir);
      await conn.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`mariadbd for ${dataDir} not ready after ${READY_TIMEOUT_MS} ms`, {
          cause: error,
        });
      }
      await sleep(100);
    }
  }
}

function errorLogTail(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, 'error.log'), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no error log)';
  }
}

/** root@localhost over the instance's socket: the sandbox's own administrative access. */
export function connectRoot(dataDir: string): Promise<mysql.Connection> {
  return mysql.createConnection({ socketPath: socketPath(dataDir), user: 'root' });
}

export async function runAsRoot<T = unknown>(
  dataDir: string,
  sql: string,
  values?: unknown[],
): Promise<T> {
  const conn = await connectRoot(dataDir);
  try {
    const [rows] = await conn.query(sql, values);
    return rows as T;
  } finally {
    await conn.end();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
