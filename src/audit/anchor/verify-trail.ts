import type { KeyObject } from 'node:crypto';
import type { AuditRow } from '../audit-event';
import { GENESIS_HASH } from '../hash-chain';
import { verifyChain, type BreakKind } from '../verify-chain';
import { digestName, fileHash, parseDigest, signatureValid, type SignedDigest } from './digest';
import type { DigestSink } from './digest-sink';
import { keyIdOf } from '../../config/audit-signing-key';

/**
 * Checks the audit rows against the signed digests, and names the first problem:
 *
 * Digests, in name order (the order they were written):
 *   digest-invalid      not a digest, for another trail, or anchoring an earlier row than the
 *                       digest before it
 *   digest-forged       its signature does not check with the configured public key
 *   digest-misnamed     its name does not match its own time and row (renamed, or copied)
 *   digest-missing      the digest it names as previous is gone (deleted)
 *   digest-out-of-chain it names another previous digest than the one before it
 *   digest-replaced     the digest before it is not the bytes it signed the hash of
 * Rows, in `seq` order, against the chain (verify-chain.ts: edited, deleted, inserted,
 * relinked) and against every digest:
 *   anchored-row-changed   the row a digest anchors has another hash: rows up to it were
 *                          changed and the chain recomputed (needs no key; the digest catches it)
 *   anchored-rows-deleted  a digest anchors a row past the trail's end: rows were deleted from
 *                          the end
 *   not-anchored           rows but no digest at all (all deleted, or none written yet)
 *
 * What no check can see: rows after the last digest (`unanchored`; they may be changed or
 * deleted without trace until a digest covers them), and the newest digests deleted together
 * with the rows only they anchored; a long silence since the newest digest is reported as a
 * warning, since a running worker writes one every interval.
 */

export type TrailProblemKind =
  | BreakKind
  | 'digest-invalid'
  | 'digest-forged'
  | 'digest-misnamed'
  | 'digest-missing'
  | 'digest-out-of-chain'
  | 'digest-replaced'
  | 'anchored-row-changed'
  | 'anchored-rows-deleted'
  | 'not-anchored';

export interface TrailVerification {
  ok: boolean;
  /** Rows read (up to the first problem in the rows). */
  rows: number;
  head: { seq: number; hash: string } | null;
  digests: number;
  last: { name: string; seq: number; hash: string; at: string } | null;
  /** Rows after the last digest's head: nothing outside the database vouches for them yet. */
  unanchored: number;
  problem?: { kind: TrailProblemKind; message: string };
  warnings: string[];
}

export interface VerifyTrailInput {
  rows: AsyncIterable<AuditRow> | Iterable<AuditRow>;
  sink: DigestSink;
  publicKey: KeyObject;
  trail: string;
  prefix: string;
  now: number;
  intervalMs: number;
}

interface LoadedDigest {
  name: string;
  digest: SignedDigest;
  fileHash: string;
}

const READ_CONCURRENCY = 8;

export async function verifyTrail(input: VerifyTrailInput): Promise<TrailVerification> {
  const names = await input.sink.list();
  const loaded = await checkDigests(names, input);
  const base = { digests: names.length, warnings: [] as string[] };
  if ('problem' in loaded) {
    return {
      ...base,
      ok: false,
      rows: 0,
      head: null,
      last: null,
      unanchored: 0,
      problem: loaded.problem,
    };
  }
  const digests = loaded.digests;
  const lastDigest = digests[digests.length - 1];
  const last = lastDigest
    ? {
        name: lastDigest.name,
        seq: lastDigest.digest.seq,
        hash: lastDigest.digest.hash,
        at: lastDigest.digest.at,
      }
    : null;
  const bySeq = new Map<number, LoadedDigest>();
  for (const entry of digests) if (!bySeq.has(entry.digest.seq)) bySeq.set(entry.digest.seq, entry);

  let rowsSeen = 0;
  let lastSeq = 0;
  let unanchored = 0;
  let changed: { kind: TrailProblemKind; message: string } | undefined;
  async function* watched(): AsyncGenerator<AuditRow> {
    for await (const row of input.rows) {
      rowsSeen += 1;
      lastSeq = row.seq;
      if (last === null || row.seq > last.seq) unanchored += 1;
      yield row;
      const anchored = bySeq.get(row.seq);
      if (anchored && anchored.digest.hash !== row.hash) {
        changed = {
          kind: 'anchored-row-changed',
          message: `row ${row.seq} has hash ${row.hash}, but digest ${anchored.name} (${anchored.digest.at}) signed ${anchored.digest.hash} for it: rows up to ${row.seq} were changed and the chain recomputed, or rows before it were inserted or deleted`,
        };
        return;
      }
    }
  }
  const chain = await verifyChain(watched());
  const head = chain.ok ? chain.head : null;
  const result = { ...base, rows: chain.rows, head, last, unanchored };
  if (!chain.ok) {
    return {
      ...result,
      ok: false,
      problem: { kind: chain.broken.kind, message: chain.broken.message },
    };
  }
  if (changed) return { ...result, ok: false, problem: changed };
  if (last && last.seq > lastSeq) {
    const range =
      last.seq === lastSeq + 1 ? `row ${last.seq} was` : `rows ${lastSeq + 1}-${last.seq} were`;
    return {
      ...result,
      ok: false,
      problem: {
        kind: 'anchored-rows-deleted',
        message: `digest ${last.name} (${last.at}) anchors row ${last.seq}, but the trail ends at ${lastSeq === 0 ? 'no row' : `row ${lastSeq}`}: ${range} deleted`,
      },
    };
  }
  if (!last && rowsSeen > 0) {
    return {
      ...result,
      ok: false,
      problem: {
        kind: 'not-anchored',
        message: `no digest in ${input.sink.description}: nothing outside the database vouches for these ${rowsSeen} rows (the digests were deleted, or none was written yet)`,
      },
    };
  }
  if (last) {
    const silentMs = input.now - Date.parse(last.at);
    if (silentMs > 2 * input.intervalMs + 60_000) {
      result.warnings.push(
        `the newest digest is from ${last.at}, ${describeAge(silentMs)} ago, though a running worker writes one at least every ${describeAge(input.intervalMs)}: if workers ran since, newer digests (and the rows only they anchored) may have been deleted`,
      );
    }
  }
  return { ...result, ok: true };
}

async function checkDigests(
  names: string[],
  input: VerifyTrailInput,
): Promise<{ digests: LoadedDigest[] } | { problem: { kind: TrailProblemKind; message: string } }> {
  const keyId = keyIdOf(input.publicKey);
  const digests: LoadedDigest[] = [];
  for (let from = 0; from < names.length; from += READ_CONCURRENCY) {
    const batch = names.slice(from, from + READ_CONCURRENCY);
    const files = await Promise.all(batch.map((name) => input.sink.get(name)));
    for (const [i, bytes] of files.entries()) {
      const name = batch[i]!;
      const problem = (kind: TrailProblemKind, message: string) => ({ problem: { kind, message } });
      const parsed = parseDigest(bytes);
      if ('error' in parsed) return problem('digest-invalid', `digest ${name} ${parsed.error}`);
      const { digest } = parsed;
      if (!signatureValid(digest, input.publicKey)) {
        return problem(
          'digest-forged',
          `digest ${name} is not signed by the configured key ${keyId}${digest.keyId === keyId ? '' : ` (it names key ${digest.keyId})`}: forged, or altered after signing`,
        );
      }
      if (digest.trail !== input.trail) {
        return problem(
          'digest-invalid',
          `digest ${name} is for the trail ${digest.trail}, not ${input.trail}`,
        );
      }
      if (digest.seq === 0 && digest.hash !== GENESIS_HASH) {
        return problem(
          'digest-invalid',
          `digest ${name} anchors row 0 with a hash other than the chain's start`,
        );
      }
      const expected = digestName(input.prefix, digest.at, digest.seq);
      if (expected !== name) {
        return problem(
          'digest-misnamed',
          `digest ${name} was written at ${digest.at} for row ${digest.seq}, so its name is ${expected}: it was renamed or copied`,
        );
      }
      const before = digests[digests.length - 1];
      if (!before && digest.previous !== null) {
        return problem(
          'digest-missing',
          `digest ${digest.previous.name}, which ${name} follows, is missing: the first digests were deleted`,
        );
      }
      if (before) {
        if (digest.previous === null) {
          return problem(
            'digest-out-of-chain',
            `digest ${name} starts a new chain after ${before.name}`,
          );
        }
        if (digest.previous.name !== before.name) {
          return names.includes(digest.previous.name)
            ? problem(
                'digest-out-of-chain',
                `digest ${name} follows ${digest.previous.name}, not ${before.name}, the digest before it`,
              )
            : problem(
                'digest-missing',
                `digest ${digest.previous.name}, which ${name} follows, is missing: it was deleted`,
              );
        }
        if (digest.previous.hash !== before.fileHash) {
          return problem(
            'digest-replaced',
            `digest ${before.name} is not the one ${name} follows: its bytes changed since`,
          );
        }
        if (digest.seq < before.digest.seq) {
          return problem(
            'digest-invalid',
            `digest ${name} anchors row ${digest.seq}, before row ${before.digest.seq} of the digest before it`,
          );
        }
        if (digest.seq === before.digest.seq && digest.hash !== before.digest.hash) {
          return problem(
            'digest-invalid',
            `digest ${name} anchors row ${digest.seq} with another hash than ${before.name}`,
          );
        }
      }
      digests.push({ name, digest, fileHash: fileHash(bytes) });
    }
  }
  return { digests };
}

function describeAge(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 120) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  return hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`;
}
