import type { CommandModule } from './define-command';

export class CommandRegistry {
  private readonly byName = new Map<string, CommandModule>();

  constructor(readonly all: readonly CommandModule[]) {
    for (const command of all) {
      if (this.byName.has(command.name)) throw new Error(`duplicate command /${command.name}`);
      this.byName.set(command.name, command);
    }
  }

  /** `/ops` or `ops` → the module, or undefined. */
  find(command: string): CommandModule | undefined {
    return this.byName.get(command.replace(/^\//, ''));
  }
}
