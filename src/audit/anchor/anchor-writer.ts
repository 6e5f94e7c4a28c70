import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../util/redis-client';
import { ErrorCode, OpsdeckError } from '../../errors';
import type { AuditStore } from '../audit-store';
import { GENESIS_HASH } from '../hash-chain';
import { verifyChain } from '../verify-chain';
import {
  DIGEST_VERSION,
  digestName,
  fileHash,
  parseDigest,
  signatureValid,
  signDigest,
  type SignedDigest,
} from './digest';
import type { DigestSink } from './digest-sink';
import type { SigningKey } from '../../config/audit-signing-key';

/**
 * Writes one digest of the audit trail's head, signed, to the sink.
 *
 * - One writer at a time across every process (a Redis lock): digests form one chain, each
 *   naming the one before it, which two writers at once would fork. A process that finds the
 *   lock taken does nothing (`busy`) and is asked to try again shortly.
 * - The last digest written is remembered in Redis (name, bytes' hash, head); a digest that
 *   landed in the sink but was not remembered (a crash in between) is found by listing the sink
 *   after the remembered name. A digest deleted from the sink since is still named as the
 *   previous one, so its absence shows in every later verification.
 * - Before signing, the rows after the last digest's head are checked: that row must still have
 *   the signed hash and the rows after it must chain from it. Otherwise nothing is signed
 *   (AuditAnchorRefused): the bot never vouches for a trail that was changed under it.
 * - A head that has not moved gets a new digest only once the last one is older than the
 *   interval (a heartbeat, so a long silence in the digests means something), never for a job's
 *   end.
 */

export interface AnchorState {
  name: string;
  /** SHA-256 of the digest file's bytes. */
  fileHash: string;
  seq: number;
  hash: string;
  at: string;
}

export type AnchorReason = 'job-end' | 'interval';

export type AnchorOutcome =
  | { kind: 'written'; name: string; digest: SignedDigest; headMoved: boolean }
  | { kind: 'unchanged'; name: string }
  | { kind: 'busy' };

export interface AnchorWriterOptions {
  store: Pick<AuditStore, 'rowsInOrder' | 'rowAt' | 'trail'>;
  sink: DigestSink;
  key: SigningKey;
  /** Digest names start with this. */
  prefix: string;
  redis: RedisClient;
  /** `redis.prefix`. */
  redisPrefix: string;
  intervalMs: number;
  /** Called after a digest whose head moved is written (posts the head hash to Slack). */
  announce?: (digest: SignedDigest, name: string) => Promise<void>;
  now?: () => number;
}

/** Long enough for the first digest of a big trail (every row checked once). */
const LOCK_TTL_MS = 120_000;

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
const EXTEND_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

export class AnchorWriter {
  private readonly lockKey: string;
  private readonly stateKey: string;
  private readonly now: () => number;

  constructor(private readonly o: AnchorWriterOptions) {
    const base = `${o.redisPrefix}:audit:anchor:${o.store.trail}`;
    this.lockKey = `${base}:lock`;
    this.stateKey = `${base}:last`;
    this.now = o.now ?? Date.now;
  }

  async anchor(reason: AnchorReason): Promise<AnchorOutcome> {
    const token = randomBytes(8).toString('hex');
    const locked = await this.o.redis.set(this.lockKey, token, 'PX', LOCK_TTL_MS, 'NX');
    if (locked !== 'OK') return { kind: 'busy' };
    try {
      const last = await this.lastDigest();
      const head = await this.checkedHead(last);
      const unchanged = last !== null && last.seq === head.seq && last.hash === head.hash;
      if (
        unchanged &&
        (reason === 'job-end' || this.now() - Date.parse(last.at) < this.o.intervalMs * 0.95)
      ) {
        return { kind: 'unchanged', name: last.name };
      }
      const at = new Date(Math.max(this.now(), last ? Date.parse(last.at) + 1 : 0)).toISOString();
      const { digest, bytes } = signDigest(
        {
          version: DIGEST_VERSION,
          trail: this.o.store.trail,
          seq: head.seq,
          hash: head.hash,
          at,
          previous: last ? { name: last.name, hash: last.fileHash } : null,
          keyId: this.o.key.keyId,
        },
        this.o.key.privateKey,
      );
      const name = digestName(this.o.prefix, at, head.seq);
      const extended = await this.o.redis.eval(
        EXTEND_IF_OWNER,
        1,
        this.lockKey,
        token,
        String(LOCK_TTL_MS),
      );
      if (extended !== 1) return { kind: 'busy' };
      await this.o.sink.put(name, bytes, new Date(at));
      const state: AnchorState = {
        name,
        fileHash: fileHash(bytes),
        seq: head.seq,
        hash: head.hash,
        at,
      };
      await this.o.redis.set(this.stateKey, JSON.stringify(state));
      if (!unchanged) await this.o.announce?.(digest, name);
      return { kind: 'written', name, digest, headMoved: !unchanged };
    } finally {
      await this.o.redis.eval(RELEASE_IF_OWNER, 1, this.lockKey, token);
    }
  }

  /**
   * The digest to follow: the one remembered in Redis, or a newer one of this key and trail
   * found in the sink (written by a process that died before remembering it).
   */
  private async lastDigest(): Promise<AnchorState | null> {
    const cached = await this.o.redis.get(this.stateKey);
    const remembered = cached === null ? null : (JSON.parse(cached) as AnchorState);
    const newer = await this.o.sink.list(remembered?.name);
    for (const name of newer.reverse()) {
      const bytes = await this.o.sink.get(name);
      const parsed = parseDigest(bytes);
      if ('error' in parsed) continue;
      const { digest } = parsed;
      if (digest.trail !== this.o.store.trail || !signatureValid(digest, this.o.key.publicKey)) {
        continue;
      }
      return { name, fileHash: fileHash(bytes), seq: digest.seq, hash: digest.hash, at: digest.at };
    }
    return remembered;
  }

  /** The trail's head, once the rows since `last` are checked to extend what it signed. */
  private async checkedHead(last: AnchorState | null): Promise<{ seq: number; hash: string }> {
    let start;
    if (last && last.seq > 0) {
      start = await this.o.store.rowAt(last.seq);
      if (!start) {
        throw refused(
          `row ${last.seq}, the head signed by digest ${last.name}, is gone: rows were deleted`,
        );
      }
      if (start.hash !== last.hash) {
        throw refused(
          `row ${last.seq} no longer has the hash digest ${last.name} signed: rows up to it were changed`,
        );
      }
    }
    const checked = await verifyChain(
      this.o.store.rowsInOrder(1000, last?.seq ?? 0),
      start ?? undefined,
    );
    if (!checked.ok) {
      throw refused(
        `${last ? `after digest ${last.name}, ` : ''}the chain breaks: ${checked.broken.message} [${checked.broken.kind}]`,
      );
    }
    return checked.head ?? { seq: 0, hash: GENESIS_HASH };
  }
}

function refused(why: string): OpsdeckError {
  return new OpsdeckError(
    ErrorCode.AuditAnchorRefused,
    `no audit digest signed: ${why}. Run \`opsdeck audit verify\`.`,
  );
}
