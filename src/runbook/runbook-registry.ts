import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, OpsdeckError } from '../errors';
import type { RunbookDefinition } from './define-runbook';

/** Runbook modules live in jobs/, one file each, default-exporting `defineRunbook(...)`. */
export const JOBS_DIR = join(__dirname, '../../jobs');

export class RunbookRegistry {
  private readonly byName = new Map<string, RunbookDefinition>();

  constructor(definitions: readonly RunbookDefinition[]) {
    for (const definition of definitions) {
      if (this.byName.has(definition.name))
        throw new Error(`duplicate runbook name ${definition.name}`);
      this.byName.set(definition.name, definition);
    }
  }

  get(name: string): RunbookDefinition {
    const definition = this.byName.get(name);
    if (!definition) throw new OpsdeckError(ErrorCode.RunbookNotFound, `no runbook named ${name}`);
    return definition;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** Requires every module of a directory and returns their default exports. */
export function loadModules<T>(dir: string): T[] {
  return readdirSync(dir)
    .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(join(dir, file)) as { default?: T };
      if (!loaded.default) throw new Error(`${join(dir, file)} has no default export`);
      return loaded.default;
    });
}

export function loadRunbooks(dir = JOBS_DIR): RunbookRegistry {
  return new RunbookRegistry(loadModules<RunbookDefinition>(dir));
}
