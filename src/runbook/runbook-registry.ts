import { ErrorCode, OpsdeckError } from '../errors';
import type { AnyRunbook } from './define-runbook';

export class RunbookRegistry {
  private readonly byName = new Map<string, AnyRunbook>();

  constructor(definitions: readonly AnyRunbook[]) {
    for (const definition of definitions) {
      if (this.byName.has(definition.name))
        throw new Error(`duplicate runbook name ${definition.name}`);
      this.byName.set(definition.name, definition);
    }
  }

  get(name: string): AnyRunbook {
    const definition = this.byName.get(name);
    if (!definition) throw new OpsdeckError(ErrorCode.RunbookNotFound, `no runbook named ${name}`);
    return definition;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
