import mysql, { type Pool } from 'mysql2/promise';
import { tableChecksum } from '../../../src/mysql/table-checksum';
import { readTableShape } from '../../../src/mysql/table-shape';
import { MYSQL, createTestDatabase } from '../../helpers/services';

/** Two keyless tables of two text columns; each case fills both and compares their checksums. */
describe('tableChecksum', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('checksum');
    pool = mysql.createPool({ ...MYSQL, database: db.name, connectionLimit: 2 });
    for (const table of ['a', 'b'])
      await pool.query(`CREATE TABLE ${table} (x VARCHAR(20) NULL, y VARCHAR(20) NULL)`);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  type Row = [string | null, string | null];

  async function checksums(a: Row[], b: Row[]) {
    const sums = [];
    for (const [table, rows] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await pool.query(`TRUNCATE ${table}`);
      if (rows.length > 0) await pool.query(`INSERT INTO ${table} (x, y) VALUES ?`, [rows]);
      const conn = await pool.getConnection();
      const shape = await readTableShape(conn, db.name, table);
      conn.release();
      sums.push(await tableChecksum(pool, { database: db.name, table }, shape.insertable));
    }
    return sums;
  }

  it('is equal for the same rows in another order, and for two empty tables', async () => {
    const [a, b] = await checksums(
      [
        ['1', 'one'],
        ['2', null],
        ['3', 'three'],
      ],
      [
        ['3', 'three'],
        ['1', 'one'],
        ['2', null],
      ],
    );
    expect(a).toEqual(b);
    expect(a!.rows).toBe(3);
    const [emptyA, emptyB] = await checksums([], []);
    expect(emptyA).toEqual({ rows: 0, checksum: '0-0' });
    expect(emptyB).toEqual(emptyA);
  });

  it.each<[string, Row[], Row[]]>([
    [
      'values swapped between two rows',
      [
        ['1', 'one'],
        ['2', 'two'],
      ],
      [
        ['1', 'two'],
        ['2', 'one'],
      ],
    ],
    [
      'a row duplicated and another lost (same count)',
      [
        ['1', 'one'],
        ['2', 'two'],
      ],
      [
        ['1', 'one'],
        ['1', 'one'],
      ],
    ],
    ['NULL against the empty string', [['1', null]], [['1', '']]],
    ['NULL against the text -', [['1', null]], [['1', '-']]],
    ['a boundary moved between columns', [['ab', 'c']], [['a', 'bc']]],
    ['columns swapped within a row', [['x', 'y']], [['y', 'x']]],
    ['one byte', [['1', 'ñ']], [['1', 'ð']]],
  ])('differs for %s', async (_case, a, b) => {
    const [left, right] = await checksums(a, b);
    expect(left!.rows).toBe(right!.rows);
    expect(left!.checksum).not.toBe(right!.checksum);
  });
});
