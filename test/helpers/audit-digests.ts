import type { KeyObject } from 'node:crypto';
import { prepareEvent, type AuditRow } from '../../src/audit/audit-event';
import { chainHash, GENESIS_HASH } from '../../src/audit/hash-chain';
import { DIGEST_VERSION, digestName, fileHash, signDigest } from '../../src/audit/anchor/digest';
import type { DigestSink } from '../../src/audit/anchor/digest-sink';
import {
  generateSigningKeyPair,
  keyIdOf,
  parsePrivateKey,
  parsePublicKey,
  type SigningKey,
} from '../../src/config/audit-signing-key';

/** Digests kept in memory, for tests of what reads them; `files` may be tampered with. */
export class MemoryDigestSink implements DigestSink {
  readonly description = 'memory://digests/';
  readonly files = new Map<string, Buffer>();

  async put(name: string, bytes: Buffer): Promise<void> {
    const existing = this.files.get(name);
    if (existing && !existing.equals(bytes)) throw new Error(`${name} exists with other content`);
    this.files.set(name, bytes);
  }

  async get(name: string): Promise<Buffer> {
    const bytes = this.files.get(name);
    if (!bytes) throw new Error(`no ${name}`);
    return bytes;
  }

  async list(startAfter?: string): Promise<string[]> {
    return [...this.files.keys()]
      .filter((name) => startAfter === undefined || name > startAfter)
      .sort();
  }
}

export function testSigningKey(): SigningKey & { publicKeyText: string; privateKeyText: string } {
  const pair = generateSigningKeyPair();
  const publicKey = parsePublicKey(pair.publicKey, 'test public key');
  return {
    privateKey: parsePrivateKey(pair.privateKey, 'test private key'),
    publicKey,
    keyId: keyIdOf(publicKey),
    publicKeyText: pair.publicKey,
    privateKeyText: pair.privateKey,
  };
}

/** `n` chained rows as the store would write them. */
export function chainedRows(n: number, t0 = Date.parse('2025-11-21T16:00:00Z')): AuditRow[] {
  const rows: AuditRow[] = [];
  for (let i = 0; i < n; i++) {
    const event = prepareEvent({
      type: 'step-finished',
      at: t0 + i * 1000,
      eventId: `event-${i + 1}`,
      actor: { id: 'U1', name: 'alice' },
      command: 'ops ping',
      jobId: 'ping-0123456789',
      step: `step-${i + 1}`,
      detail: { i },
    });
    const prevHash = rows[i - 1]?.hash ?? GENESIS_HASH;
    rows.push({ ...event, seq: i + 1, prevHash, hash: chainHash(prevHash, event) });
  }
  return rows;
}

/**
 * Signs digests of `rows` at the given head rows (0: the empty trail), a minute apart from `t0`,
 * each naming the one before, exactly as the digest writer does; returns their names.
 */
export async function signDigestChain(options: {
  sink: DigestSink;
  rows: readonly AuditRow[];
  heads: number[];
  key: { privateKey: KeyObject; keyId: string };
  prefix: string;
  trail: string;
  t0?: number;
  previous?: { name: string; hash: string } | null;
}): Promise<string[]> {
  const names: string[] = [];
  let previous = options.previous ?? null;
  const t0 = options.t0 ?? Date.parse('2025-11-21T17:00:00Z');
  for (const [i, seq] of options.heads.entries()) {
    const at = new Date(t0 + i * 60_000).toISOString();
    const hash = seq === 0 ? GENESIS_HASH : options.rows.find((row) => row.seq === seq)!.hash;
    const { bytes } = signDigest(
      {
        version: DIGEST_VERSION,
        trail: options.trail,
        seq,
        hash,
        at,
        previous,
        keyId: options.key.keyId,
      },
      options.key.privateKey,
    );
    const name = digestName(options.prefix, at, seq);
    await options.sink.put(name, bytes, new Date(at));
    names.push(name);
    previous = { name, hash: fileHash(bytes) };
  }
  return names;
}
