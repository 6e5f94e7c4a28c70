import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isMariadbdFor, MariadbSupervisor } from './mariadb-process';
import { STATE_FILE, StateStore } from './state-store';

/**
 * Forgets everything: stops any mariadbd a crashed sandbox left running (pids from the state
 * file, checked against their datadir) and removes the data directory.
 */
export async function resetSandbox(dataDir: string): Promise<void> {
  const root = resolve(dataDir);
  const statePath = join(root, STATE_FILE);
  if (existsSync(statePath)) {
    const supervisor = new MariadbSupervisor();
    for (const record of Object.values(new StateStore(statePath).state.rds.instances)) {
      const instanceDir = join(root, 'instances', record.resourceId);
      if (record.pid !== undefined && isMariadbdFor(record.pid, instanceDir))
        await supervisor.stop(record.pid);
    }
  }
  await rm(root, { recursive: true, force: true });
}
