import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/app/cli';
import { ACCESS_SEMANTICS } from '../../../src/approvals/access-policy';
import { configJsonSchema, configJsonSchemaText } from '../../../src/config/json-schema';

describe('opsdeck CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-cli-'));
  let out: string[];
  beforeEach(() => {
    out = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => void out.push(line));
  });
  afterEach(() => jest.restoreAllMocks());

  it('config check accepts a valid file and the committed example', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'http:\n  port: 8080\n');
    expect(await runCli(['config', 'check', file], {})).toBe(0);
    expect(out[0]).toBe(`${file} is valid`);
    expect(out.join('\n')).toContain(ACCESS_SEMANTICS);
    expect(out.join('\n')).not.toContain('warning:');
    expect(
      await runCli(['config', 'check', join(__dirname, '../../../opsdeck.example.yaml')], {}),
    ).toBe(0);
  });

  it('config check warns about access rules the old first-match order bypassed, and dead rules', async () => {
    const file = join(dir, 'access.yaml');
    writeFileSync(
      file,
      [
        'access:',
        '  groups:',
        '    dba: { users: [U0DBA] }',
        '    platform: { users: [U0PLAT] }',
        '  rules:',
        "    - { command: restore-table, targets: [billing], groups: [dba], channels: ['#ops'], approval: { group: platform } }",
        "    - { command: '*', targets: ['*'], groups: [dba] }",
        "    - { command: 'restore-tabel', targets: ['*'], groups: [dba] }",
        '',
      ].join('\n'),
    );
    expect(await runCli(['config', 'check', file], {})).toBe(0);
    const warnings = out.filter((line) => line.startsWith('\nwarning:'));
    expect(warnings).toEqual([
      expect.stringContaining(
        "access.rules[0]'s channels (#ops) and approval by platform were bypassed under the old first-match semantics by access.rules[1]",
      ),
      expect.stringContaining(
        'access.rules[2] can never apply: no command is named like `restore-tabel`',
      ),
    ]);
  });

  it('config check rejects an invalid file with the path and reason, starting nothing', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'mysql:\n  port: x\n');
    await expect(runCli(['config', 'check', file], {})).rejects.toThrow(
      `${file}: invalid configuration\n  mysql.port: expected number, got "x"`,
    );
  });

  it('config check reads OPSDECK_CONFIG when no file is named', async () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, '');
    expect(await runCli(['config', 'check'], { OPSDECK_CONFIG: file })).toBe(0);
  });

  it('config schema writes the JSON Schema to a file, or to stdout', async () => {
    const file = join(dir, 'schema.json');
    expect(await runCli(['config', 'schema', file], {})).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(configJsonSchema());
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    expect(await runCli(['config', 'schema'], {})).toBe(0);
    expect(written.join('')).toBe(configJsonSchemaText());
  });

  it('prints the usage for an unknown command, exit code 2', async () => {
    expect(await runCli(['frobnicate'], {})).toBe(2);
    expect(out.join('\n')).toContain('usage: opsdeck <command>');
  });
});
