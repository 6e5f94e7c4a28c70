import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchorPublicKey } from '../../../src/config/audit-anchor';
import { keyIdOf } from '../../../src/config/audit-signing-key';
import { parseConfig } from '../../../src/config/load-config';
import { testSigningKey } from '../../helpers/audit-digests';

const key = testSigningKey();

function configError(yaml: string): string {
  try {
    parseConfig(yaml, 'opsdeck.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  return '(valid)';
}

describe('audit.anchor config', () => {
  it('is off by default, and takes an S3 or a directory sink with defaults', () => {
    expect(parseConfig('{}').audit.anchor).toBeUndefined();
    const s3 = parseConfig(
      `audit:\n  anchor:\n    publicKey: ${key.publicKeyText}\n    sink: { s3: { bucket: acme-audit, objectLock: { retainDays: 400 } } }\n    channel: '#audit'\n`,
    ).audit.anchor!;
    expect(s3).toMatchObject({
      signingKeyEnv: 'OPSDECK_AUDIT_SIGNING_KEY',
      prefix: 'opsdeck-audit-digests',
      intervalMinutes: 60,
      channel: '#audit',
      sink: { s3: { bucket: 'acme-audit', objectLock: { mode: 'COMPLIANCE', retainDays: 400 } } },
    });
    expect(keyIdOf(anchorPublicKey(s3))).toBe(key.keyId);
    const dir = parseConfig(
      `audit:\n  anchor:\n    publicKey: ${key.publicKeyText}\n    sink: { directory: /var/lib/opsdeck/digests }\n    prefix: prod/audit\n`,
    ).audit.anchor!;
    expect(dir.sink).toEqual({ directory: '/var/lib/opsdeck/digests' });
  });

  it('reads the public key from a file when given as publicKeyFile', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'anchor-key-')), 'audit.pub');
    writeFileSync(file, `${key.publicKeyText}\n`);
    const anchor = parseConfig(
      `audit:\n  anchor:\n    publicKeyFile: ${file}\n    sink: { directory: /tmp/x }\n`,
    ).audit.anchor!;
    expect(keyIdOf(anchorPublicKey(anchor))).toBe(key.keyId);
    const missing = parseConfig(
      `audit:\n  anchor:\n    publicKeyFile: ${file}.nope\n    sink: { directory: /tmp/x }\n`,
    ).audit.anchor!;
    expect(() => anchorPublicKey(missing)).toThrow(
      /cannot read audit.anchor.publicKeyFile .*\.nope/,
    );
  });

  it.each([
    [
      'no key',
      'sink: { directory: /tmp/x }',
      'audit.anchor.publicKey: give exactly one of publicKey and publicKeyFile',
    ],
    [
      'both keys',
      `publicKey: ${key.publicKeyText}\n    publicKeyFile: /x\n    sink: { directory: /tmp/x }`,
      'audit.anchor.publicKey: give exactly one of publicKey and publicKeyFile',
    ],
    [
      'a bad key',
      'publicKey: bm90IGEga2V5\n    sink: { directory: /tmp/x }',
      'audit.anchor.publicKey: audit.anchor.publicKey is not an Ed25519 public key',
    ],
    [
      'the private key',
      `publicKey: |\n      -----BEGIN PRIVATE KEY-----\n      ${key.privateKeyText}\n      -----END PRIVATE KEY-----\n    sink: { directory: /tmp/x }`,
      'holds a PRIVATE key',
    ],
    ['no sink', `publicKey: ${key.publicKeyText}`, 'audit.anchor.sink'],
    [
      'two sinks',
      `publicKey: ${key.publicKeyText}\n    sink: { directory: /tmp/x, s3: { bucket: abc } }`,
      'audit.anchor.sink',
    ],
    [
      'a bad bucket',
      `publicKey: ${key.publicKeyText}\n    sink: { s3: { bucket: Bad_Bucket } }`,
      'audit.anchor.sink',
    ],
    [
      'a prefix that climbs',
      `publicKey: ${key.publicKeyText}\n    sink: { directory: /tmp/x }\n    prefix: a/../b`,
      'audit.anchor.prefix: must not contain . or .. segments',
    ],
    [
      'a channel that is not one',
      `publicKey: ${key.publicKeyText}\n    sink: { directory: /tmp/x }\n    channel: audit`,
      'audit.anchor.channel',
    ],
  ])('refuses %s, naming the field', (_, body, expected) => {
    const message = configError(`audit:\n  anchor:\n    ${body}\n`);
    expect(message).toContain(expected);
    expect(message).not.toContain(key.privateKeyText);
  });
});
