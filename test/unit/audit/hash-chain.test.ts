import fc from 'fast-check';
import {
  canonicalJson,
  COLUMN_LIMITS,
  MAX_JSON_CHARS,
  prepareEvent,
  type AuditRow,
  type PreparedEvent,
} from '../../../src/audit/audit-event';
import { canonicalEvent, chainHash, GENESIS_HASH } from '../../../src/audit/hash-chain';
import { verifyChain } from '../../../src/audit/verify-chain';
import { clearRegisteredSecrets, registerSecret } from '../../../src/log/redact';

function chain(events: PreparedEvent[]): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  events.forEach((event, i) => {
    const hash = chainHash(prev, event);
    rows.push({ ...event, seq: i + 1, prevHash: prev, hash });
    prev = hash;
  });
  return rows;
}

const events = Array.from({ length: 6 }, (_, i) =>
  prepareEvent(
    {
      type: i === 0 ? 'requested' : 'step-finished',
      eventId: `e${i + 1}`,
      at: 1_763_740_800_000 + i,
      actor: { id: 'U1', name: 'alice' },
      jobId: 'restore-table-0123456789',
      step: `step-${i}`,
      detail: { i },
    },
    0,
  ),
);

describe('prepareEvent', () => {
  afterEach(() => clearRegisteredSecrets());

  it('redacts arguments and detail, secrets by key, by value and by shape', () => {
    registerSecret('hunter2hunter2');
    const event = prepareEvent({
      type: 'requested',
      args: {
        table: 'invoices',
        password: 'pw',
        note: 'use hunter2hunter2',
        url: 'mysql://u:secret@h',
      },
      detail: new Error('token=xoxb-1234567890-abcdef'),
    });
    expect(event.argsJson).toBe(
      '{"note":"use [REDACTED]","password":"[REDACTED]","table":"invoices","url":"mysql://u:[REDACTED]@h"}',
    );
    expect(event.detailJson).toBe('{"message":"token=[REDACTED]","name":"Error"}');
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('cuts fields to the column sizes and long JSON to a preview', () => {
    const event = prepareEvent({
      type: 'denied',
      actor: { id: 'U1', name: '😀'.repeat(300) },
      detail: 'x'.repeat(MAX_JSON_CHARS + 10),
    });
    expect(Array.from(event.actorName!)).toHaveLength(COLUMN_LIMITS.actorName);
    expect(JSON.parse(event.detailJson!)).toMatchObject({
      truncated: true,
      chars: MAX_JSON_CHARS + 12,
    });
  });

  it('refuses unknown types and bad times', () => {
    expect(() => prepareEvent({ type: 'deleted' as never })).toThrow(TypeError);
    expect(() => prepareEvent({ type: 'failed', at: 1.5 })).toThrow(RangeError);
  });
});

describe('canonical serialization', () => {
  it('does not depend on key order and always yields well-formed JSON (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
        expect(() => JSON.parse(canonicalJson(object))).not.toThrow();
      }),
    );
  });

  it('replaces lone surrogates so the stored text equals the hashed text', () => {
    expect(canonicalJson({ a: 'x\uD800y' })).toBe('{"a":"x\uFFFDy"}');
  });

  it('changes the hash when any stored field changes (property)', () => {
    const base = events[1]!;
    const fields = Object.keys(base).filter((k) => k !== 'at') as (keyof PreparedEvent)[];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.string(), (field, value) => {
        fc.pre(base[field] !== value);
        const changed = { ...base, [field]: value } as PreparedEvent;
        expect(chainHash(GENESIS_HASH, changed)).not.toBe(chainHash(GENESIS_HASH, base));
      }),
    );
    expect(chainHash(GENESIS_HASH, { ...base, at: base.at + 1 })).not.toBe(
      chainHash(GENESIS_HASH, base),
    );
    expect(chainHash('1'.repeat(64), base)).not.toBe(chainHash(GENESIS_HASH, base));
  });

  it('keeps null and the string "null" apart', () => {
    expect(canonicalEvent({ ...events[0]!, target: null })).not.toBe(
      canonicalEvent({ ...events[0]!, target: 'null' }),
    );
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', async () => {
    const rows = chain(events);
    expect(await verifyChain(rows)).toEqual({
      ok: true,
      rows: 6,
      head: { seq: 6, hash: rows[5]!.hash },
    });
    expect(await verifyChain([])).toEqual({ ok: true, rows: 0, head: null });
  });

  it('names an edited row', async () => {
    const rows = chain(events);
    rows[2] = { ...rows[2]!, detailJson: '{"i":99}' };
    expect(await verifyChain(rows)).toMatchObject({
      ok: false,
      rows: 2,
      broken: { seq: 3, kind: 'edited' },
    });
  });

  it('names the row after deleted ones, and the missing seq numbers', async () => {
    const rows = chain(events);
    expect(await verifyChain([...rows.slice(0, 2), ...rows.slice(4)])).toMatchObject({
      ok: false,
      broken: {
        seq: 5,
        kind: 'deleted',
        message: 'row 5 (event e5) follows deleted rows: seq 3-4 missing',
      },
    });
    expect(await verifyChain(rows.slice(1))).toMatchObject({ broken: { seq: 2, kind: 'deleted' } });
  });

  it('names an inserted row, whether or not it links to its predecessor', async () => {
    const rows = chain(events);
    const renumber = (list: AuditRow[]) => list.map((row, i) => ({ ...row, seq: i + 1 }));
    const forged = prepareEvent({
      type: 'approved',
      eventId: 'forged',
      at: 5,
      actor: { id: 'U9' },
    });
    const unlinked = {
      ...forged,
      seq: 0,
      prevHash: 'f'.repeat(64),
      hash: chainHash('f'.repeat(64), forged),
    };
    expect(
      await verifyChain(renumber([...rows.slice(0, 3), unlinked, ...rows.slice(3)])),
    ).toMatchObject({
      broken: { seq: 4, eventId: 'forged', kind: 'inserted' },
    });
    const linked = {
      ...forged,
      seq: 0,
      prevHash: rows[2]!.hash,
      hash: chainHash(rows[2]!.hash, forged),
    };
    expect(
      await verifyChain(renumber([...rows.slice(0, 3), linked, ...rows.slice(3)])),
    ).toMatchObject({
      broken: { seq: 4, eventId: 'forged', kind: 'inserted' },
    });
    const atStart = {
      ...forged,
      seq: 0,
      prevHash: GENESIS_HASH,
      hash: chainHash(GENESIS_HASH, forged),
    };
    expect(await verifyChain(renumber([atStart, ...rows]))).toMatchObject({
      broken: { seq: 1, eventId: 'forged', kind: 'inserted' },
    });
  });

  it('catches an edit that was re-hashed at the next row', async () => {
    const rows = chain(events);
    const edited = { ...rows[2]!, detailJson: '{"i":99}' };
    edited.hash = chainHash(edited.prevHash, edited);
    rows[2] = edited;
    expect(await verifyChain(rows)).toMatchObject({ broken: { seq: 4, kind: 'relinked' } });
  });

  it('finds any single tampering of a random chain (property)', async () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      prepareEvent({ type: 'step-started', eventId: `m${i}`, at: i, step: `s${i}` }, 0),
    );
    const rows = chain(many);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10 }),
        fc.constantFrom('edit', 'delete'),
        async (i, how) => {
          const copy = rows.map((row) => ({ ...row }));
          if (how === 'edit') copy[i]!.step = 'tampered';
          else copy.splice(i, 1);
          const result = await verifyChain(copy);
          expect(result.ok).toBe(false);
        },
      ),
    );
  });
});
