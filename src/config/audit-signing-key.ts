import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ErrorCode, OpsdeckError } from '../errors';
import { registerSecret } from '../log/redact';

/**
 * The Ed25519 keys that sign and check audit digests, read once like the other secrets
 * (secrets.ts). The private key (PKCS#8) lives only in the environment of the processes that
 * write digests; the public key (SPKI) is in the config, for
 * `opsdeck audit verify`. Both are accepted as PEM or as base64 of their DER bytes (one line, which
 * suits an environment variable). Errors never quote the key text.
 */

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Names the key in each digest (`keyId`), so a digest says which key to check it with. */
  keyId: string;
}

export function parsePublicKey(text: string, where: string): KeyObject {
  // createPublicKey would derive the public half of a private PEM; a private key in the config
  // file is a leak to point out, not a key to use.
  if (text.includes('PRIVATE KEY')) {
    throw new OpsdeckError(
      ErrorCode.AuditKeyInvalid,
      `${where} holds a PRIVATE key: it belongs in the workers' environment only; put the public key here (\`opsdeck audit keygen\` prints both)`,
    );
  }
  return parse(text, where, 'public', (input) =>
    createPublicKey(isPem(input) ? input : { key: fromBase64(input), format: 'der', type: 'spki' }),
  );
}

/**
 * Parses a private key and registers it for redaction, as given and as base64 DER (which is also
 * the body of its PEM form).
 */
export function parsePrivateKey(text: string, where: string): KeyObject {
  registerSecret(text.trim());
  const key = parse(text, where, 'private', (input) =>
    createPrivateKey(
      isPem(input) ? input : { key: fromBase64(input), format: 'der', type: 'pkcs8' },
    ),
  );
  registerSecret(key.export({ format: 'der', type: 'pkcs8' }).toString('base64'));
  return key;
}

/**
 * The signing key from the environment variable `envName`, checked against the configured public
 * key: digests signed by another key would never verify, so a mismatch stops the process.
 */
export function loadSigningKey(
  env: NodeJS.ProcessEnv,
  envName: string,
  configuredPublicKey: KeyObject,
): SigningKey {
  const text = env[envName];
  if (text === undefined || text.trim() === '') {
    throw new OpsdeckError(
      ErrorCode.SecretMissing,
      `environment variable ${envName} is not set (audit.anchor.signingKeyEnv: the Ed25519 key that signs audit digests; \`opsdeck audit keygen\` makes one)`,
    );
  }
  const privateKey = parsePrivateKey(text, `environment variable ${envName}`);
  const publicKey = createPublicKey(privateKey);
  if (keyIdOf(publicKey) !== keyIdOf(configuredPublicKey)) {
    throw new OpsdeckError(
      ErrorCode.AuditKeyInvalid,
      `the audit signing key in ${envName} does not match audit.anchor.publicKey (key ${keyIdOf(publicKey)} against ${keyIdOf(configuredPublicKey)}): digests it signs would not verify`,
    );
  }
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** SHA-256 of the public key's DER bytes, first 16 hex digits. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16);
}

/** A new key pair, each as base64 DER (one line). */
export function generateSigningKeyPair(): { privateKey: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    keyId: keyIdOf(publicKey),
  };
}

function parse(
  text: string,
  where: string,
  kind: 'public' | 'private',
  load: (input: string) => KeyObject,
): KeyObject {
  let key: KeyObject;
  try {
    key = load(text.trim());
  } catch {
    throw new OpsdeckError(
      ErrorCode.AuditKeyInvalid,
      `${where} is not an Ed25519 ${kind} key (${kind === 'public' ? 'SPKI' : 'PKCS#8'}, PEM or base64 DER)`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new OpsdeckError(
      ErrorCode.AuditKeyInvalid,
      `${where} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; audit digests are signed with Ed25519`,
    );
  }
  return key;
}

function isPem(text: string): boolean {
  return text.startsWith('-----BEGIN ');
}

function fromBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error('not base64');
  return Buffer.from(text, 'base64');
}
