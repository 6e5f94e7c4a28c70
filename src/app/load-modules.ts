import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CommandRegistry } from '../command/command-registry';
import type { CommandModule } from '../command/define-command';
import type { AnyRunbook } from '../runbook/define-runbook';
import { RunbookRegistry } from '../runbook/runbook-registry';

/** Runbook modules live in jobs/, one file each, default-exporting `defineRunbook(...)`. */
export const JOBS_DIR = join(__dirname, '../../jobs');

/** Command modules live in commands/, one file per slash command. */
export const COMMANDS_DIR = join(__dirname, '../../commands');

export function loadRunbooks(dir = JOBS_DIR): RunbookRegistry {
  return new RunbookRegistry(loadModules<AnyRunbook>(dir));
}

export function loadCommands(dir = COMMANDS_DIR): CommandRegistry {
  return new CommandRegistry(loadModules<CommandModule>(dir));
}

/** Requires every module of a directory and returns their default exports. */
function loadModules<T>(dir: string): T[] {
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
