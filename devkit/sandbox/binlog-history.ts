import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsRoot, socketPath } from './mariadb-process';
import { pipeProcesses } from './process-pipe';
import { BINLOG_RETENTION_SQL } from './rds-procedures';

/**
 * An instance's history is its binlog since the template copy. RDS archives binlogs for
 * point-in-time restore and purges them from the server per `binlog retention hours`; the sandbox
 * does the same: closed binlogs are hard-linked into the instance's archive directory before any
 * purge, so a restore can replay every event even after the server itself dropped the file.
 */
const BINLOG_FILE = /^binlog\.(\d{6,})$/;

interface BinaryLogRow {
  Log_name: string;
}

/** RDS's periodic work: rotate, archive the closed files, purge per retention. */
export async function rotateArchiveAndPurge(dataDir: string, archiveDir: string): Promise<void> {
  await runAsRoot(dataDir, 'FLUSH BINARY LOGS');
  const logs = await archiveClosedBinlogs(dataDir, archiveDir);
  const [setting] = await runAsRoot<{ value: string | null }[]>(dataDir, BINLOG_RETENTION_SQL);
  const hours = setting?.value == null ? null : Number(setting.value);
  if (hours === null) {
    const active = logs[logs.length - 1];
    if (active) await runAsRoot(dataDir, 'PURGE BINARY LOGS TO ?', [active]);
  } else {
    await runAsRoot(dataDir, 'PURGE BINARY LOGS BEFORE NOW() - INTERVAL ? HOUR', [hours]);
  }
}

/** Hard-links every closed binlog into the archive; returns the server's binlog names. */
export async function archiveClosedBinlogs(dataDir: string, archiveDir: string): Promise<string[]> {
  const rows = await runAsRoot<BinaryLogRow[]>(dataDir, 'SHOW BINARY LOGS');
  const names = rows.map((row) => row.Log_name);
  await mkdir(archiveDir, { recursive: true });
  for (const name of names.slice(0, -1)) {
    const archived = join(archiveDir, name);
    if (!existsSync(archived)) await link(join(dataDir, name), archived);
  }
  return names;
}

/** Every binlog file of the instance's history, oldest first (archived or still on the server). */
export async function binlogHistory(dataDir: string, archiveDir: string): Promise<string[]> {
  const byName = new Map<string, string>();
  for (const dir of [archiveDir, dataDir]) {
    const names = existsSync(dir) ? await readdir(dir) : [];
    for (const name of names) if (BINLOG_FILE.test(name)) byName.set(name, join(dir, name));
  }
  const sequence = (name: string) => Number(BINLOG_FILE.exec(name)![1]);
  return [...byName.keys()]
    .sort((a, b) => sequence(a) - sequence(b))
    .map((name) => byName.get(name)!);
}

/**
 * Replays binlog files into a running instance (as root over its socket). With `stopBefore`,
 * events stamped at or after that instant are left out (mariadb-binlog --stop-datetime, whole
 * seconds, UTC).
 */
export async function replayBinlogs(
  files: string[],
  targetDataDir: string,
  stopBefore?: Date,
): Promise<void> {
  const args = stopBefore ? [`--stop-datetime=${mysqlDatetime(stopBefore)}`, ...files] : files;
  const reader = spawn('mariadb-binlog', ['--no-defaults', ...args], {
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const client = spawn(
    'mariadb',
    [
      '--no-defaults',
      `--socket=${socketPath(targetDataDir)}`,
      '--user=root',
      '--binary-mode',
      '--max-allowed-packet=1G',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const { producerCode, consumerCode, stderr } = await pipeProcesses(reader, client);
  if (producerCode !== 0 || consumerCode !== 0)
    throw new Error(`binlog replay into ${targetDataDir} failed: ${stderr.trim()}`);
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as mysql tools take datetimes. */
export function mysqlDatetime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
