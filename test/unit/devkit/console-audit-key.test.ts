import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditAnchorConfig } from '../../../src/config/audit-anchor';
import { loadSigningKey, parsePublicKey } from '../../../src/config/audit-signing-key';
import { ensureConsoleAuditKey } from '../../../devkit/console-audit-key';

describe('ensureConsoleAuditKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-key-'));
  const anchor = AuditAnchorConfig.parse({
    publicKeyFile: join(dir, 'keys', 'audit-signing.pub'),
    sink: { directory: join(dir, 'digests') },
  });

  it('makes a matching pair once, keeps it across starts, and puts the key in the environment', () => {
    const env: NodeJS.ProcessEnv = {};
    ensureConsoleAuditKey(anchor, env);
    const publicKey = parsePublicKey(readFileSync(anchor.publicKeyFile!, 'utf8'), 'file');
    const first = loadSigningKey(env, 'OPSDECK_AUDIT_SIGNING_KEY', publicKey);
    expect(statSync(join(dir, 'keys', 'audit-signing.key')).mode & 0o777).toBe(0o600);
    const again: NodeJS.ProcessEnv = {};
    ensureConsoleAuditKey(anchor, again);
    expect(again.OPSDECK_AUDIT_SIGNING_KEY).toBe(env.OPSDECK_AUDIT_SIGNING_KEY);
    expect(loadSigningKey(again, 'OPSDECK_AUDIT_SIGNING_KEY', publicKey).keyId).toBe(first.keyId);
  });

  it('leaves a key already in the environment, and configs without a key file, alone', () => {
    const env: NodeJS.ProcessEnv = { OPSDECK_AUDIT_SIGNING_KEY: 'given' };
    ensureConsoleAuditKey(anchor, env);
    expect(env.OPSDECK_AUDIT_SIGNING_KEY).toBe('given');
    const none: NodeJS.ProcessEnv = {};
    ensureConsoleAuditKey(undefined, none);
    expect(none).toEqual({});
  });
});
