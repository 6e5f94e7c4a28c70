import type { AuditRow } from './audit-event';
import { chainHash, GENESIS_HASH } from './hash-chain';

/**
 * Walks the rows in `seq` order and names the first place the chain breaks, and why:
 *   edited    the row's content no longer matches its own hash
 *   deleted   the row does not link to the row before it and `seq` numbers are missing
 *   inserted  the row is not part of the chain: the row after it links past it
 *   relinked  the row does not link to the row before it, with no gap in `seq`: the row before
 *             was changed and re-hashed, or rows were deleted and the rest renumbered
 * Rows removed from the end cannot be told from a shorter trail, and a chain recomputed from an
 * edited row on is a valid chain: the signed digests (anchor/verify-trail.ts) catch both.
 *
 * `start`: the rows continue after this row, which is already trusted (a digest writer checks
 * only the rows after the last digest's head).
 */

export type BreakKind = 'edited' | 'deleted' | 'inserted' | 'relinked';

export type VerifyResult =
  | { ok: true; rows: number; head: { seq: number; hash: string } | null }
  | {
      ok: false;
      rows: number;
      broken: { seq: number; eventId: string; kind: BreakKind; message: string };
    };

export async function verifyChain(
  rows: AsyncIterable<AuditRow> | Iterable<AuditRow>,
  start?: AuditRow,
): Promise<VerifyResult> {
  let before: AuditRow | null = null; // the row before `prev`
  let prev: AuditRow | null = start ?? null; // the last row found in order
  let current: AuditRow | null = null;
  let verified = 0;

  const check = (row: AuditRow, next: AuditRow | null): VerifyResult | null => {
    const expected = prev ? prev.hash : GENESIS_HASH;
    const broken = (at: AuditRow, kind: BreakKind, why: string): VerifyResult => ({
      ok: false,
      rows: verified,
      broken: {
        seq: at.seq,
        eventId: at.eventId,
        kind,
        message: `row ${at.seq} (event ${at.eventId}) ${why}`,
      },
    });
    if (row.prevHash !== expected) {
      if (next && next.prevHash === expected) {
        return broken(row, 'inserted', 'was inserted: the row after it links to the row before it');
      }
      if (prev && prev !== start && row.prevHash === (before ? before.hash : GENESIS_HASH)) {
        return broken(prev, 'inserted', `was inserted: row ${row.seq} links to the row before it`);
      }
      const firstMissing = prev ? prev.seq + 1 : 1;
      if (row.seq > firstMissing) {
        const range =
          row.seq - 1 === firstMissing ? `${firstMissing}` : `${firstMissing}-${row.seq - 1}`;
        return broken(row, 'deleted', `follows deleted rows: seq ${range} missing`);
      }
      return broken(
        row,
        'relinked',
        `does not link to ${prev ? `row ${prev.seq}` : 'the start of the chain'}: the row before it was changed and re-hashed, or rows were deleted and renumbered`,
      );
    }
    if (chainHash(row.prevHash, row) !== row.hash) {
      return broken(row, 'edited', 'was edited: its content no longer matches its hash');
    }
    return null;
  };

  for await (const next of rows) {
    if (current) {
      const result = check(current, next);
      if (result) return result;
      before = prev;
      prev = current;
      verified += 1;
    }
    current = next;
  }
  if (current) {
    const result = check(current, null);
    if (result) return result;
    prev = current;
    verified += 1;
  }
  return { ok: true, rows: verified, head: prev ? { seq: prev.seq, hash: prev.hash } : null };
}
