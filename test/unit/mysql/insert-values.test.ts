import fc from 'fast-check';
import { InsertValuesEncoder } from '../../../src/mysql/insert-values';

type Row = (Buffer | null)[];

/**
 * Reads a VALUES list back as MySQL's parser does, for the three forms the encoder writes and
 * nothing else (it throws on anything else): NULL, '…' (no escapes inside: the encoder puts no
 * quote or backslash there) and X'…' with or without the _utf8mb4 introducer, which must be
 * present exactly for the non-binary columns.
 */
function decode(sql: string, binary: boolean[]): Row[] {
  const rows: Row[] = [];
  let at = 0;
  const expect = (text: string) => {
    if (!sql.startsWith(text, at)) throw new Error(`expected ${text} at ${at}: ${sql.slice(at)}`);
    at += text.length;
  };
  while (at < sql.length) {
    if (rows.length > 0) expect(',');
    expect('(');
    const row: Row = [];
    binary.forEach((isBinary, i) => {
      if (i > 0) expect(',');
      if (sql.startsWith('NULL', at)) {
        at += 4;
        row.push(null);
      } else if (sql[at] === "'") {
        if (isBinary) throw new Error('a binary value as a quoted string');
        const end = sql.indexOf("'", at + 1);
        row.push(Buffer.from(sql.slice(at + 1, end), 'latin1'));
        at = end + 1;
      } else {
        if (!isBinary) expect('_utf8mb4 ');
        expect("X'");
        const end = sql.indexOf("'", at);
        const hex = sql.slice(at, end);
        if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error(`bad hex ${hex}`);
        row.push(Buffer.from(hex, 'hex'));
        at = end + 1;
      }
    });
    expect(')');
    rows.push(row);
  }
  return rows;
}

const encodeAll = (rows: Row[], binary: boolean[], bytes = 64) => {
  const encoder = new InsertValuesEncoder(binary, bytes);
  for (const row of rows) encoder.add(row);
  const count = encoder.rows;
  const length = encoder.length;
  const sql = encoder.take();
  return { sql, count, length };
};

describe('INSERT values from raw bytes', () => {
  it('quotes plain ASCII, writes everything else as hex (introduced as utf8mb4 unless binary)', () => {
    const rows: Row[] = [
      [Buffer.from('INV-0001'), Buffer.from([0x00, 0xff]), Buffer.from('12.50')],
      [Buffer.from("it's"), null, Buffer.from('a\\b')],
      [Buffer.from('Zoë'), Buffer.from(''), Buffer.from('')],
      [Buffer.from('NULL'), Buffer.from('x'), Buffer.from('line\n')],
    ];
    expect(encodeAll(rows, [false, true, false]).sql).toBe(
      [
        "('INV-0001',X'00ff','12.50')",
        "(_utf8mb4 X'69742773',NULL,_utf8mb4 X'615c62')",
        "(_utf8mb4 X'5a6fc3ab',X'','')",
        "('NULL',X'78',_utf8mb4 X'6c696e650a')",
      ].join(','),
    );
  });

  it('reads back every row exactly, whatever the bytes, in printable ASCII only', () => {
    const value = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
    fc.assert(
      fc.property(
        fc
          .array(fc.boolean(), { minLength: 1, maxLength: 5 })
          .chain((binary) =>
            fc.tuple(
              fc.constant(binary),
              fc.array(fc.tuple(...binary.map(() => value)), { minLength: 1, maxLength: 30 }),
            ),
          ),
        ([binary, rows]) => {
          const buffers = rows.map((row) => row.map((v) => (v === null ? null : Buffer.from(v))));
          const { sql, count, length } = encodeAll(buffers, binary);
          expect(count).toBe(rows.length);
          expect(length).toBe(sql.length);
          expect(sql).toMatch(/^[\x20-\x7e]*$/);
          expect(decode(sql, binary)).toEqual(buffers);
        },
      ),
    );
  });

  it('grows for a row larger than its buffer and starts over after take()', () => {
    const encoder = new InsertValuesEncoder([false], 16);
    const big = Buffer.alloc(100_000, 0xe9);
    encoder.add([big]);
    expect(decode(encoder.take(), [false])).toEqual([[big]]);
    expect(encoder).toMatchObject({ rows: 0, length: 0 });
    encoder.add([Buffer.from('x')]);
    expect(encoder.take()).toBe("('x')");
  });
});
