import type { AuditRow } from '../../../../src/audit/audit-event';
import { fileHash } from '../../../../src/audit/anchor/digest';
import { chainHash, GENESIS_HASH } from '../../../../src/audit/hash-chain';
import { verifyTrail, type TrailVerification } from '../../../../src/audit/anchor/verify-trail';
import {
  chainedRows,
  MemoryDigestSink,
  signDigestChain,
  testSigningKey,
} from '../../../helpers/audit-digests';

const PREFIX = 'digests';
const TRAIL = 'opsdeck.audit_events';
const T0 = Date.parse('2025-11-21T17:00:00Z');
const HOUR = 3_600_000;
const key = testSigningKey();

async function setup(heads = [3, 6, 8], rowCount = 10) {
  const rows = chainedRows(rowCount);
  const sink = new MemoryDigestSink();
  const names = await signDigestChain({
    sink,
    rows,
    heads,
    key,
    prefix: PREFIX,
    trail: TRAIL,
    t0: T0,
  });
  return { rows, sink, names };
}

function verify(
  rows: AuditRow[],
  sink: MemoryDigestSink,
  options: { publicKey?: typeof key.publicKey; now?: number } = {},
): Promise<TrailVerification> {
  return verifyTrail({
    rows,
    sink,
    publicKey: options.publicKey ?? key.publicKey,
    trail: TRAIL,
    prefix: PREFIX,
    now: options.now ?? T0 + HOUR,
    intervalMs: HOUR,
  });
}

/** The chain recomputed from the first row on, numbered 1..n, as someone without the key can. */
function recomputed(rows: AuditRow[]): AuditRow[] {
  const out: AuditRow[] = [];
  for (const [i, row] of rows.entries()) {
    const prevHash = out[i - 1]?.hash ?? GENESIS_HASH;
    out.push({ ...row, seq: i + 1, prevHash, hash: chainHash(prevHash, row) });
  }
  return out;
}

describe('verifyTrail', () => {
  it('passes an intact trail, and counts the rows no digest covers yet', async () => {
    const { rows, sink, names } = await setup();
    const result = await verify(rows, sink);
    expect(result).toMatchObject({
      ok: true,
      rows: 10,
      head: { seq: 10, hash: rows[9]!.hash },
      digests: 3,
      last: { name: names[2], seq: 8, hash: rows[7]!.hash },
      unanchored: 2,
      warnings: [],
    });
    expect(result.problem).toBeUndefined();
  });

  it('passes an empty trail with or without digests, and heartbeat digests of an unmoved head', async () => {
    expect(await verify([], new MemoryDigestSink())).toMatchObject({
      ok: true,
      rows: 0,
      digests: 0,
    });
    const { sink } = await setup([0, 0]);
    expect(await verify([], sink)).toMatchObject({ ok: true, digests: 2 });
    const again = await setup([3, 3, 5, 5], 5);
    expect(await verify(again.rows, again.sink)).toMatchObject({ ok: true, unanchored: 0 });
  });

  it('finds rows changed and re-hashed under a digest', async () => {
    const { rows, sink } = await setup();
    const edited = recomputed(
      rows.map((row) => (row.seq === 2 ? { ...row, actorName: 'mallory' } : row)),
    );
    const result = await verify(edited, sink);
    expect(result.problem?.kind).toBe('anchored-row-changed');
    expect(result.problem?.message).toMatch(
      /^row 3 has hash [0-9a-f]{64}, but digest digests\/2025\/11\/21\/20251121T170000\.000Z-000000000003\.json \(2025-11-21T17:00:00\.000Z\) signed/,
    );
  });

  it('finds rows deleted from the end, down to the last digest', async () => {
    const { rows, sink } = await setup();
    expect((await verify(rows.slice(0, 8), sink)).ok).toBe(true);
    const result = await verify(rows.slice(0, 6), sink);
    expect(result.problem).toEqual({
      kind: 'anchored-rows-deleted',
      message: expect.stringMatching(
        /anchors row 8, but the trail ends at row 6: rows 7-8 were deleted$/,
      ),
    });
    expect((await verify([], sink)).problem?.message).toMatch(
      /ends at no row: rows 1-8 were deleted$/,
    );
  });

  it('lets the chain name a plainly edited row before any digest check', async () => {
    const { rows, sink } = await setup();
    const edited = rows.map((row) => (row.seq === 3 ? { ...row, step: 'other' } : row));
    expect((await verify(edited, sink)).problem?.kind).toBe('edited');
  });

  it('refuses rows no digest vouches for at all', async () => {
    const result = await verify(chainedRows(2), new MemoryDigestSink());
    expect(result.problem?.kind).toBe('not-anchored');
    expect(result.problem?.message).toContain('no digest in memory://digests/');
  });

  it('finds a digest that is missing, first or in the middle', async () => {
    const middle = await setup();
    middle.sink.files.delete(middle.names[1]!);
    expect((await verify(middle.rows, middle.sink)).problem).toEqual({
      kind: 'digest-missing',
      message: `digest ${middle.names[1]}, which ${middle.names[2]} follows, is missing: it was deleted`,
    });
    const first = await setup();
    first.sink.files.delete(first.names[0]!);
    expect((await verify(first.rows, first.sink)).problem?.message).toBe(
      `digest ${first.names[0]}, which ${first.names[1]} follows, is missing: the first digests were deleted`,
    );
  });

  it('finds a digest signed by another key, or edited after signing', async () => {
    const { rows, sink, names } = await setup();
    const other = testSigningKey();
    const forged = await setup();
    await signDigestChain({
      sink: forged.sink,
      rows,
      heads: [10],
      key: other,
      prefix: PREFIX,
      trail: TRAIL,
      t0: T0 + HOUR,
    });
    expect((await verify(rows, forged.sink)).problem).toEqual({
      kind: 'digest-forged',
      message: expect.stringMatching(
        /^digest \S+ is not signed by the configured key [0-9a-f]{16} \(it names key [0-9a-f]{16}\): forged, or altered after signing$/,
      ),
    });
    const json = JSON.parse(sink.files.get(names[1]!)!.toString()) as Record<string, unknown>;
    sink.files.set(names[1]!, Buffer.from(JSON.stringify({ ...json, seq: 5 })));
    expect((await verify(rows, sink)).problem?.kind).toBe('digest-forged');
  });

  it('finds a digest that is not a digest, renamed, out of chain or replaced', async () => {
    const garbage = await setup();
    garbage.sink.files.set(garbage.names[1]!, Buffer.from('{"oops":'));
    expect((await verify(garbage.rows, garbage.sink)).problem?.kind).toBe('digest-invalid');

    const renamed = await setup();
    const bytes = renamed.sink.files.get(renamed.names[2]!)!;
    renamed.sink.files.delete(renamed.names[2]!);
    renamed.sink.files.set(renamed.names[2]!.replace('T1702', 'T1759'), bytes);
    expect((await verify(renamed.rows, renamed.sink)).problem?.kind).toBe('digest-misnamed');

    // A genuine digest written after the first, linked to it, put after the second.
    const branch = await setup([3, 6]);
    await signDigestChain({
      sink: branch.sink,
      rows: branch.rows,
      heads: [8],
      key,
      prefix: PREFIX,
      trail: TRAIL,
      t0: T0 + HOUR,
      previous: {
        name: branch.names[0]!,
        hash: fileHash(branch.sink.files.get(branch.names[0]!)!),
      },
    });
    expect((await verify(branch.rows, branch.sink)).problem?.kind).toBe('digest-out-of-chain');

    // Same signed content, other bytes (reformatted): the signature checks, the chain does not.
    const replaced = await setup();
    const pretty = JSON.stringify(
      JSON.parse(replaced.sink.files.get(replaced.names[1]!)!.toString()),
      null,
      2,
    );
    replaced.sink.files.set(replaced.names[1]!, Buffer.from(pretty));
    expect((await verify(replaced.rows, replaced.sink)).problem).toEqual({
      kind: 'digest-replaced',
      message: `digest ${replaced.names[1]} is not the one ${replaced.names[2]} follows: its bytes changed since`,
    });
  });

  it('refuses digests of another trail', async () => {
    const rows = chainedRows(3);
    const sink = new MemoryDigestSink();
    await signDigestChain({
      sink,
      rows,
      heads: [3],
      key,
      prefix: PREFIX,
      trail: 'staging.audit_events',
    });
    expect((await verify(rows, sink)).problem?.message).toMatch(
      /is for the trail staging\.audit_events, not opsdeck\.audit_events$/,
    );
  });

  it('warns when the newest digest is older than a running worker would leave it', async () => {
    const { rows, sink } = await setup();
    const result = await verify(rows, sink, { now: T0 + 5 * HOUR });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^the newest digest is from 2025-11-21T17:02:00\.000Z, 5 h ago, though a running worker writes one at least every 60 min/,
      ),
    ]);
  });
});
