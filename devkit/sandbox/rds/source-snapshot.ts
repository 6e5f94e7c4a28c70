import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { socketPath } from '../mariadb-process';

const execFileAsync = promisify(execFile);

/** Where a snapshot's data stands in its source's binary log. */
export interface SnapshotPosition {
  file: string;
  pos: number;
  /** The source's GTID position at that point (empty when it has written none). */
  gtid: string;
}

/**
 * A copy of a running instance's data at one binary log position, into `targetDir`, ready for a
 * mariadbd to start on: what RDS's storage snapshot gives a new read replica. mariadb-backup copies
 * the files while the source serves and holds its commits only for the instant it reads the
 * position (BACKUP STAGE BLOCK_COMMIT), then the copy is prepared (its redo applied). The time it
 * takes follows the size of the data, not the length of the source's history.
 */
export async function snapshotInstance(
  sourceDataDir: string,
  targetDir: string,
): Promise<SnapshotPosition> {
  await rm(targetDir, { recursive: true, force: true });
  const tool = (args: string[]) =>
    execFileAsync('mariadb-backup', ['--no-defaults', ...args], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: Error & { stderr?: string }) => {
      const tail = (error.stderr ?? '').trim().split('\n').slice(-5).join('\n');
      throw new Error(`mariadb-backup ${args[0]} of ${sourceDataDir} failed: ${tail}`, {
        cause: error,
      });
    });
  await tool([
    '--backup',
    `--datadir=${sourceDataDir}`,
    `--socket=${socketPath(sourceDataDir)}`,
    '--user=root',
    `--target-dir=${targetDir}`,
  ]);
  await tool(['--prepare', `--target-dir=${targetDir}`]);
  return readPosition(targetDir);
}

/** The position file mariadb-backup writes: `<file>\t<pos>[\t<gtid>]`. */
async function readPosition(dir: string): Promise<SnapshotPosition> {
  const name = ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info']
    .map((file) => join(dir, file))
    .find((path) => existsSync(path));
  if (!name) throw new Error(`mariadb-backup wrote no binlog position into ${dir}`);
  const [file, pos, gtid] = (await readFile(name, 'utf8')).trim().split('\t');
  if (!file || !pos || !Number.isInteger(Number(pos)))
    throw new Error(`unexpected binlog position in ${name}`);
  return { file, pos: Number(pos), gtid: gtid ?? '' };
}
