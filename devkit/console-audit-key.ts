import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AuditAnchorConfig } from '../src/config/audit-anchor';
import { generateSigningKeyPair } from '../src/config/audit-signing-key';

/**
 * Console mode signs its audit digests with a key pair of its own, made on first start: the
 * public key where `audit.anchor.publicKeyFile` says (config/console.yaml: .local/), the private
 * key beside it (mode 600), and into `env` under `signingKeyEnv` unless that is set already.
 * A deployment makes its pair with `opsdeck audit keygen` instead.
 */
export function ensureConsoleAuditKey(
  anchor: AuditAnchorConfig | undefined,
  env: NodeJS.ProcessEnv,
): void {
  if (!anchor?.publicKeyFile || env[anchor.signingKeyEnv]) return;
  const publicFile = anchor.publicKeyFile;
  const privateFile = join(dirname(publicFile), 'audit-signing.key');
  if (!existsSync(publicFile) || !existsSync(privateFile)) {
    const pair = generateSigningKeyPair();
    mkdirSync(dirname(publicFile), { recursive: true });
    writeFileSync(privateFile, `${pair.privateKey}\n`, { mode: 0o600 });
    writeFileSync(publicFile, `${pair.publicKey}\n`);
  }
  env[anchor.signingKeyEnv] = readFileSync(privateFile, 'utf8').trim();
}
