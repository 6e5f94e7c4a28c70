import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { runAsRoot, type MariadbSupervisor } from './mariadb-process';
import { RDS_BOOTSTRAP_SQL } from './rds-procedures';

const execFileAsync = promisify(execFile);

/**
 * A pristine datadir (system tables, root@localhost without password, the RDS procedures) that
 * every new instance starts as a copy of. It is also the base of every point-in-time restore: an
 * instance's binlog holds its whole history since that copy. Built once per sandbox data dir.
 * `rdsProcedures: false` leaves the RDS procedures out, for a server that stands for one outside
 * RDS (an on-premise MySQL has no mysql.rds_*; callers tell RDS from not-RDS by them).
 */
export async function ensureTemplateDatadir(
  supervisor: MariadbSupervisor,
  templateDir: string,
  options: { bufferPoolSize: string; tmpDir: string; rdsProcedures?: boolean },
): Promise<void> {
  if (existsSync(join(templateDir, '.ready'))) return;
  const building = `${templateDir}.building`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  await mkdir(options.tmpDir, { recursive: true });
  await execFileAsync('mariadb-install-db', [
    '--no-defaults',
    '--user=root',
    `--datadir=${building}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--innodb-log-file-size=8M',
    `--tmpdir=${options.tmpDir}`,
  ]);
  const pid = await supervisor.start({
    dataDir: building,
    port: await freePort(),
    serverId: 1,
    bufferPoolSize: options.bufferPoolSize,
    binlog: false,
    tmpDir: options.tmpDir,
  });
  try {
    if (options.rdsProcedures ?? true)
      for (const sql of RDS_BOOTSTRAP_SQL) await runAsRoot(building, sql);
  } finally {
    await supervisor.stop(pid);
  }
  await rm(join(building, 'error.log'), { force: true });
  await writeFile(join(building, '.ready'), new Date().toISOString());
  await rm(templateDir, { recursive: true, force: true });
  await rename(building, templateDir);
}
