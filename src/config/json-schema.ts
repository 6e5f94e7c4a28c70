import { z } from 'zod';
import { OpsdeckConfig } from './schema';

/** Where the committed schema lives (repository root), as the example config names it. */
export const CONFIG_SCHEMA_FILE = 'opsdeck.schema.json';

/**
 * The JSON Schema of an opsdeck.yaml, generated from the zod schema the loader validates with
 * (never written by hand): what a file may contain, so every setting is optional where it has a
 * default. Draft-07, the draft editors' YAML language servers read. Checks zod cannot express in
 * JSON Schema (cross-section rules such as a replica's `source` naming a configured database)
 * remain `opsdeck config check`'s.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(OpsdeckConfig, { io: 'input', target: 'draft-7' }),
    title: 'opsdeck configuration (opsdeck.yaml)',
  };
}

/** The schema as `opsdeck config schema` writes it: two-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
