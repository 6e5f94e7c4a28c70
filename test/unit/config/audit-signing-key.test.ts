import { generateKeyPairSync } from 'node:crypto';
import {
  generateSigningKeyPair,
  keyIdOf,
  loadSigningKey,
  parsePrivateKey,
  parsePublicKey,
} from '../../../src/config/audit-signing-key';
import { ErrorCode } from '../../../src/errors';
import { clearRegisteredSecrets, REDACTED, redactText } from '../../../src/log/redact';

afterEach(() => clearRegisteredSecrets());

describe('audit signing keys', () => {
  const pair = generateSigningKeyPair();
  const publicKey = parsePublicKey(pair.publicKey, 'test');

  it('generates a pair whose halves match, readable as base64 DER and as PEM', () => {
    expect(pair.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(publicKey)).toBe(pair.keyId);
    const pem = String(publicKey.export({ format: 'pem', type: 'spki' }));
    expect(keyIdOf(parsePublicKey(pem, 'test'))).toBe(pair.keyId);
    const key = loadSigningKey({ KEY: ` ${pair.privateKey}\n` }, 'KEY', publicKey);
    expect(key.keyId).toBe(pair.keyId);
    const privatePem = String(key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    expect(loadSigningKey({ KEY: privatePem }, 'KEY', publicKey).keyId).toBe(pair.keyId);
  });

  it('registers the private key for redaction, in the forms it may show up in', () => {
    const pem = String(
      parsePrivateKey(pair.privateKey, 'test').export({ format: 'pem', type: 'pkcs8' }),
    );
    clearRegisteredSecrets();
    parsePrivateKey(pem, 'given as PEM');
    expect(redactText(`key=${pair.privateKey}`)).toBe(`key=${REDACTED}`);
    expect(redactText(`-> ${pem.trim()} <-`)).toBe(`-> ${REDACTED} <-`);
    clearRegisteredSecrets();
    parsePrivateKey(pair.privateKey, 'given as base64 DER');
    expect(redactText(`-> ${pem.trim()} <-`)).not.toContain(pair.privateKey);
  });

  it('stops a worker whose key does not match the configured public key', () => {
    const other = generateSigningKeyPair();
    expect(() => loadSigningKey({ KEY: other.privateKey }, 'KEY', publicKey)).toThrow(
      expect.objectContaining({
        code: ErrorCode.AuditKeyInvalid,
        message: expect.stringContaining(`key ${other.keyId} against ${pair.keyId}`),
      }),
    );
  });

  it('says which variable is missing, and how to make a key', () => {
    expect(() => loadSigningKey({}, 'OPSDECK_AUDIT_SIGNING_KEY', publicKey)).toThrow(
      expect.objectContaining({
        code: ErrorCode.SecretMissing,
        message: expect.stringMatching(
          /OPSDECK_AUDIT_SIGNING_KEY is not set.*opsdeck audit keygen/,
        ),
      }),
    );
  });

  it('refuses keys that are not Ed25519, or not keys, without quoting them', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsaPublic = rsa.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(() => parsePublicKey(rsaPublic, 'audit.anchor.publicKey')).toThrow(
      'audit.anchor.publicKey is a rsa key; audit digests are signed with Ed25519',
    );
    for (const junk of [
      'not a key',
      'QUJD',
      '-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----',
    ]) {
      let message = '';
      try {
        parsePublicKey(junk, 'audit.anchor.publicKey');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'audit.anchor.publicKey is not an Ed25519 public key (SPKI, PEM or base64 DER)',
      );
    }
    let message = '';
    try {
      parsePrivateKey(`${pair.privateKey.slice(0, -8)}AAAAAAA=`, 'environment variable KEY');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^environment variable KEY is not an Ed25519 private key/);
    expect(message).not.toContain(pair.privateKey.slice(0, 20));
  });

  it('refuses a private key given as the public key: it must not sit in the config file', () => {
    const key = parsePrivateKey(pair.privateKey, 'test');
    const pem = String(key.export({ format: 'pem', type: 'pkcs8' }));
    expect(() => parsePublicKey(pem, 'audit.anchor.publicKey')).toThrow(
      /holds a PRIVATE key: it belongs in the workers' environment only/,
    );
    expect(() => parsePublicKey(pair.privateKey, 'audit.anchor.publicKey')).toThrow(
      /is not an Ed25519 public key/,
    );
  });
});
