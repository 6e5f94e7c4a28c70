import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import {
  CONFIG_SCHEMA_FILE,
  configJsonSchema,
  configJsonSchemaText,
} from '../../../src/config/json-schema';

const ROOT = join(__dirname, '../../..');
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validate = ajv.compile(configJsonSchema());

function errorsOf(doc: unknown): string[] {
  return validate(doc)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`.trim());
}

describe('the config JSON Schema', () => {
  it('is the committed opsdeck.schema.json (regenerate it with `bin/opsdeck config schema opsdeck.schema.json`)', () => {
    expect(readFileSync(join(ROOT, CONFIG_SCHEMA_FILE), 'utf8')).toBe(configJsonSchemaText());
  });

  it('is named by the example config on its first line', () => {
    expect(readFileSync(join(ROOT, 'opsdeck.example.yaml'), 'utf8').split('\n')[0]).toBe(
      `# yaml-language-server: $schema=./${CONFIG_SCHEMA_FILE}`,
    );
  });

  it('accepts the example config and an empty file', () => {
    expect(errorsOf(parse(readFileSync(join(ROOT, 'opsdeck.example.yaml'), 'utf8')))).toEqual([]);
    expect(errorsOf({})).toEqual([]);
  });

  it('refuses the development harness sections, as the loader does', () => {
    expect(errorsOf({ sandbox: {} })).toContain('must NOT have additional properties');
    expect(errorsOf({ slack: { mode: 'console' } })).toContain(
      '/slack/mode must be equal to one of the allowed values',
    );
  });

  it('refuses what the loader refuses: unknown keys, wrong types, values out of range', () => {
    expect(errorsOf({ mysql: { prot: 3306 } })).toContain(
      '/mysql must NOT have additional properties',
    );
    expect(errorsOf({ mysql: { port: 'x' } })).toContain('/mysql/port must be integer');
    expect(errorsOf({ http: { port: 70000 } })).toContain('/http/port must be <= 65535');
    expect(errorsOf({ redis: { passwordEnv: 'lowercase' } })).toContain(
      '/redis/passwordEnv must match pattern "^[A-Z_][A-Z0-9_]*$"',
    );
    expect(errorsOf({ databases: { billing: { instance: 'billing-prod' } } })).toEqual(
      expect.arrayContaining(["/databases/billing must have required property 'user'"]),
    );
  });

  it('lists every top-level section the loader knows', () => {
    const properties = Object.keys((configJsonSchema().properties ?? {}) as object);
    expect(properties).toEqual(
      expect.arrayContaining(['slack', 'redis', 'mysql', 'aws', 'databases', 'deploy', 'feeds']),
    );
    expect(configJsonSchema()).toMatchObject({ additionalProperties: false });
  });
});
