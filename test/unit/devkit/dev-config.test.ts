import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CONFIG, loadDevConfig } from '../../../devkit/dev-config';

describe("console mode's config (devkit)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-devcfg-'));

  it('takes the sandbox and console sections out and validates the rest as production does', () => {
    const file = join(dir, 'dev.yaml');
    writeFileSync(
      file,
      'sandbox: { port: 4999, createDelayMs: 10 }\nconsole: { userName: me }\nhttp: { port: 8080 }\n',
    );
    const loaded = loadDevConfig({ OPSDECK_CONFIG: file });
    expect(loaded.sandbox).toMatchObject({ port: 4999, createDelayMs: 10, host: '127.0.0.1' });
    expect(loaded.console).toMatchObject({ userName: 'me', userId: 'U0CONSOLE' });
    expect(loaded.config.http.port).toBe(8080);
    expect(loaded.config).not.toHaveProperty('sandbox');
    expect(loaded.path).toBe(file);
  });

  it('refuses a bad development section with its path', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'sandbox: { port: -1 }\n');
    expect(() => loadDevConfig({ OPSDECK_CONFIG: file })).toThrow(`${file}: sandbox.port:`);
  });

  it('reads the committed console config', () => {
    const loaded = loadDevConfig({ OPSDECK_CONFIG: CONSOLE_CONFIG });
    expect(loaded.console.otherUsers).toEqual({ U0CONSOLE2: 'second-user' });
    expect(Object.keys(loaded.config.databases)).toEqual(['billing']);
  });
});
