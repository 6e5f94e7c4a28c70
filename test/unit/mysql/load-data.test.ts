import fc from 'fast-check';
import { LOAD_CHUNK_BYTES, LoadDataEncoder, loadDataSql } from '../../../src/mysql/load-data';
import type { TableColumn } from '../../../src/mysql/table-shape';

const column = (name: string, binary = false): TableColumn => ({
  name,
  dataType: binary ? 'varbinary' : 'varchar',
  generated: false,
  binary,
  integer: false,
  autoIncrement: false,
});

/**
 * Reads the format back as the server's LOAD DATA does with FIELDS TERMINATED BY '\t' ESCAPED BY
 * '\\' LINES TERMINATED BY '\n': a field that is exactly `\N` is NULL, `\x` is the escape's byte.
 */
function decode(data: Buffer, hex: boolean[]): (Buffer | null)[][] {
  const rows: (Buffer | null)[][] = [];
  let row: (Buffer | null)[] = [];
  let field: number[] = [];
  let nullField = false;
  const UNESCAPE: Record<number, number> = { 0x30: 0x00, 0x74: 0x09, 0x6e: 0x0a, 0x5c: 0x5c };
  const endField = () => {
    const bytes = Buffer.from(field);
    const i = row.length;
    row.push(nullField ? null : hex[i] ? Buffer.from(bytes.toString('latin1'), 'hex') : bytes);
    field = [];
    nullField = false;
  };
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte === 0x5c) {
      const next = data[++i]!;
      if (next === 0x4e && field.length === 0 && [0x09, 0x0a].includes(data[i + 1]!))
        nullField = true;
      else field.push(UNESCAPE[next] ?? next);
    } else if (byte === 0x09) endField();
    else if (byte === 0x0a) {
      endField();
      rows.push(row);
      row = [];
    } else field.push(byte);
  }
  return rows;
}

const encodeAll = (rows: (Buffer | null)[][], hex: boolean[]) => {
  const encoder = new LoadDataEncoder(hex);
  const pieces: Buffer[] = [];
  for (const row of rows) {
    encoder.add(row);
    if (encoder.length >= LOAD_CHUNK_BYTES) pieces.push(...encoder.take());
  }
  pieces.push(...encoder.take());
  return pieces;
};

describe('LOAD DATA format', () => {
  it('escapes the bytes that end or escape a field, NULL as \\N, binary as hex', () => {
    const rows = [
      [Buffer.from('a\tb\nc\\d\0e'), Buffer.from([0x00, 0xff, 0x5c])],
      [Buffer.from(''), null],
      [Buffer.from('\\N'), Buffer.from('')],
      [null, Buffer.from('\n')],
      [Buffer.from('Zoë 😀'), Buffer.from('NULL')],
    ];
    expect(Buffer.concat(encodeAll(rows, [false, true])).toString('latin1')).toBe(
      [
        'a\\tb\\nc\\\\d\\0e\t00ff5c',
        '\t\\N',
        '\\\\N\t',
        '\\N\t0a',
        `${Buffer.from('Zoë 😀').toString('latin1')}\t4e554c4c`,
        '',
      ].join('\n'),
    );
  });

  it('reads back every row exactly, whatever the bytes', () => {
    const value = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
    fc.assert(
      fc.property(
        fc
          .array(fc.boolean(), { minLength: 1, maxLength: 5 })
          .chain((hex) =>
            fc.tuple(
              fc.constant(hex),
              fc.array(fc.tuple(...hex.map(() => value)), { maxLength: 30 }),
            ),
          ),
        ([hex, rows]) => {
          const buffers = rows.map((row) => row.map((v) => (v === null ? null : Buffer.from(v))));
          expect(decode(Buffer.concat(encodeAll(buffers, hex)), hex)).toEqual(buffers);
        },
      ),
    );
  });

  it('hands over rows larger than a chunk whole, in pieces of at most 1 MiB', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x09);
    const pieces = encodeAll([[Buffer.from('x')], [big], [Buffer.from('y')]], [false]);
    expect(pieces.every((piece) => piece.length <= 1024 * 1024)).toBe(true);
    expect(decode(Buffer.concat(pieces), [false])).toEqual([
      [Buffer.from('x')],
      [big],
      [Buffer.from('y')],
    ]);
  });

  it('names binary columns by variable and decodes them with UNHEX', () => {
    expect(loadDataSql('`db`.`t`', [column('id'), column('bin', true), column('name')])).toBe(
      "LOAD DATA LOCAL INFILE 'opsdeck-copy' INTO TABLE `db`.`t` CHARACTER SET utf8mb4 " +
        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
        '(`id`, @h1, `name`) SET `bin` = UNHEX(@h1)',
    );
  });

  it('reads a file of the server itself when given its path, quoted as a string', () => {
    expect(loadDataSql('`db`.`t`', [column('id')], "/tmp/it's.tsv")).toBe(
      "LOAD DATA INFILE '/tmp/it\\'s.tsv' INTO TABLE `db`.`t` CHARACTER SET utf8mb4 " +
        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (`id`)",
    );
  });
});
