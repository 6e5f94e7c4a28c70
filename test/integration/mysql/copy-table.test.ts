import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { ErrorCode } from '../../../src/errors';
import { compareTables } from '../../../src/mysql/compare-tables';
import { copyTable, type CopyProgress } from '../../../src/mysql/copy-table';
import { verifyCopy } from '../../../src/mysql/table-checksum';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * Two databases on the local server stand for the restored instance (source) and production
 * (destination); the engine only sees two pools. Production has the same schema, with a trigger
 * and a foreign key on the original table.
 */
let sourceDb: Awaited<ReturnType<typeof createTestDatabase>>;
let destinationDb: Awaited<ReturnType<typeof createTestDatabase>>;
let source: Pool;
let destination: Pool;

const SCHEMA = [
  `CREATE TABLE customers (id INT PRIMARY KEY)`,
  `CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY, item_id BIGINT)`,
  `CREATE TABLE items (
     id BIGINT NOT NULL PRIMARY KEY,
     customer_id INT NULL,
     name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
     bin VARBINARY(300) NULL,
     body BLOB NULL,
     doc JSON NULL,
     price DECIMAL(20,6) NULL,
     at TIMESTAMP(6) NULL,
     name_length INT AS (CHAR_LENGTH(name)) STORED,
     doubled BIGINT AS (id * 2) VIRTUAL,
     CONSTRAINT items_customer FOREIGN KEY (customer_id) REFERENCES customers (id))`,
  `CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW
     INSERT INTO audit_log (item_id) VALUES (NEW.id)`,
  `CREATE TABLE order_lines (order_id INT NOT NULL, sku VARCHAR(20) NOT NULL, qty INT NULL,
     note TEXT NULL, PRIMARY KEY (order_id, sku))`,
  `CREATE TABLE loose (a INT NULL, b VARCHAR(10) NULL)`,
  `CREATE TABLE big (id INT PRIMARY KEY, payload LONGBLOB NOT NULL)`,
  `CREATE TABLE tagged (a INT NOT NULL, b VARCHAR(20) NOT NULL, seq INT NOT NULL AUTO_INCREMENT,
     title VARCHAR(100) NULL, code CHAR(8) NOT NULL, PRIMARY KEY (a, b), KEY (seq),
     UNIQUE KEY code_u (code), KEY ba (b, a), KEY title_prefix (title(10)) COMMENT 'prefix',
     FULLTEXT KEY ft (title))`,
  `CREATE TABLE odd_types (id INT PRIMARY KEY, flags BIT(12) NULL, spot POINT NULL, f DOUBLE NULL,
     d DATE NULL, t TIME(3) NULL, y YEAR NULL, e ENUM('a','b') NULL, s SET('x','y') NULL,
     c CHAR(5) NULL, l1 VARCHAR(20) CHARACTER SET latin1 NULL, txt VARCHAR(50) NULL)`,
];

const EMOJI = 'Zoë 😀 𝄞 漢字 \u{1F9D1}\u{200D}\u{1F4BB}';
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

async function seedSource(): Promise<void> {
  const q = (sql: string, values?: unknown[]) => source.query(sql, values);
  await q(`INSERT INTO customers SELECT seq FROM seq_1_to_10`);
  await q(
    `INSERT INTO items (id, customer_id, name, bin, body, doc, price, at)
     SELECT seq, IF(seq % 5 = 0, NULL, seq % 10 + 1), IF(seq % 7 = 0, NULL, CONCAT('item ', seq, ' ', ?)),
            IF(seq % 11 = 0, NULL, UNHEX(MD5(seq))), REPEAT(UNHEX(SHA2(seq, 256)), seq % 4),
            IF(seq % 3 = 0, NULL, JSON_OBJECT('n', seq, 's', 'ü"\\\\', 'a', JSON_ARRAY(1, NULL))),
            seq * 1.000001, FROM_UNIXTIME(1700000000 + seq + 0.123456)
       FROM seq_1_to_1000`,
    [EMOJI],
  );
  // A BIGINT above 2^53, all 256 byte values, and a 0 key must come through exactly.
  await q(
    `INSERT INTO items (id, name, bin, body) VALUES (9007199254740993, ?, ?, ?), (0, 'zero', NULL, NULL)`,
    [EMOJI, ALL_BYTES, ALL_BYTES],
  );
  await q(
    `INSERT INTO order_lines SELECT seq DIV 3, CONCAT('sku-', CHAR(65 + seq % 26), seq % 3), IF(seq % 4 = 0, NULL, seq), REPEAT('ñ', seq % 5)
       FROM seq_1_to_900`,
  );
  await q(`INSERT INTO loose VALUES (1, 'a'), (1, 'a'), (NULL, NULL), (2, NULL), (NULL, NULL)`);
  await q(`INSERT INTO big SELECT seq, REPEAT(UNHEX(SHA2(seq, 256)), 65536) FROM seq_1_to_6`);
  await q(
    `INSERT INTO tagged (a, b, title, code)
     SELECT seq % 50, CONCAT('b', seq), IF(seq % 9 = 0, NULL, CONCAT('title ', seq)), LPAD(seq, 8, '0')
       FROM seq_1_to_600`,
  );
  // The bytes LOAD DATA treats specially, strings that look like its NULL, types without text.
  await q(
    `INSERT INTO odd_types VALUES
       (1, b'101010101010', ST_GeomFromText('POINT(1.5 -2)'), 1.0000000000000002, '0000-00-00',
        '-838:59:59.999', 2155, 'b', 'x,y', 'ab', 'café', 'a\tb\nc\\\\d\0e\r'),
       (2, b'0', NULL, -0.0, '2025-02-28', '00:00:00', 0, 'a', '', '', '', ''),
       (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'NULL', '\\\\N'),
       (4, b'1', ST_GeomFromText('POINT(0 0)'), 1e308, '9999-12-31', '23:59:59.5', 1901, 'a', 'y', 'x', 'ÿ', 'N')`,
  );
  await q(`DELETE FROM audit_log`); // what seeding fired in the source
}

beforeAll(async () => {
  [sourceDb, destinationDb] = await Promise.all([
    createTestDatabase('copy_src'),
    createTestDatabase('copy_dst'),
  ]);
  const pool = (database: string) =>
    mysql.createPool({ ...MYSQL, database, charset: 'utf8mb4', connectionLimit: 6 });
  source = pool(sourceDb.name);
  destination = pool(destinationDb.name);
  for (const sql of SCHEMA) {
    await source.query(sql);
    await destination.query(sql);
  }
  await destination.query(`INSERT INTO customers SELECT seq FROM seq_1_to_10`);
  await seedSource();
  await source.query(`ANALYZE TABLE items, order_lines, loose, big, tagged, odd_types`);
});

afterAll(async () => {
  await Promise.all([source.end(), destination.end()]);
  await Promise.all([sourceDb.drop(), destinationDb.drop()]);
});

const from = (table: string) => ({ database: sourceDb.name, table });
const to = (table: string) => ({ database: destinationDb.name, table });

async function copyAndVerify(
  table: string,
  side: string,
  options: Partial<Parameters<typeof copyTable>[0]> = {},
) {
  const result = await copyTable({
    source,
    destination,
    from: from(table),
    to: to(side),
    ...options,
  });
  const verification = await verifyCopy(
    source,
    destination,
    from(table),
    to(side),
    result.shape.insertable,
  );
  return { result, verification };
}

describe('copyTable', () => {
  it('copies an integer-keyed table in parallel ranges: binary, JSON, NULLs, utf8mb4, generated columns, exactly', async () => {
    const progress: CopyProgress[] = [];
    const done: number[] = [];
    const { result, verification } = await copyAndVerify('items', 'items__restored_1', {
      parallelism: 3,
      rangeCount: 7,
      batchRows: 50,
      onProgress: (p) => progress.push(p),
      onRangeDone: (range) => {
        done.push(range.index);
      },
    });
    expect(result.rows).toBe(1002);
    expect(result.ranges).toHaveLength(7);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(verification).toMatchObject({
      equal: true,
      source: { rows: 1002 },
      side: { rows: 1002 },
    });
    expect(result.method).toBe('load-data'); // MariaDB's local_infile is ON by default
    expect(progress.at(-2)).toMatchObject({ phase: 'indexing', rows: 1002 });
    expect(progress.at(-1)).toMatchObject({
      phase: 'indexing',
      rows: 1002,
      percent: 100,
      rangesDone: 7,
      rangesTotal: 7,
    });
    expect(progress.every((p) => p.percent <= 100)).toBe(true);

    const [[row]] = await destination.query<RowDataPacket[]>(
      `SELECT CAST(id AS CHAR) AS id, name, bin, body, name_length, CAST(doubled AS CHAR) AS doubled
         FROM items__restored_1 WHERE id = 9007199254740993`,
    );
    expect(row).toEqual({
      id: '9007199254740993',
      name: EMOJI,
      bin: ALL_BYTES,
      body: ALL_BYTES,
      name_length: [...EMOJI].length,
      doubled: '18014398509481986',
    });
    const [[zero]] = await destination.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM items__restored_1 WHERE id = 0`,
    );
    expect(zero!.n).toBe(1);
  });

  it('fires no trigger and creates no foreign key (no constraint name clash with the original)', async () => {
    const [[audit]] = await destination.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM audit_log`,
    );
    expect(audit!.n).toBe(0);
    const [constraints] = await destination.query<RowDataPacket[]>(
      `SELECT TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
      [destinationDb.name],
    );
    expect(constraints.map((c) => c.t)).toEqual(['items']);
    const [triggers] = await destination.query<RowDataPacket[]>(
      `SELECT EVENT_OBJECT_TABLE AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`,
      [destinationDb.name],
    );
    expect(triggers.map((c) => c.t)).toEqual(['items']);
  });

  it('refuses to overwrite an existing side table', async () => {
    await expect(
      copyTable({ source, destination, from: from('items'), to: to('items__restored_1') }),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlSideTableExists });
    const [[count]] = await destination.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM items__restored_1`,
    );
    expect(count!.n).toBe(1002);
  });

  it('copies a composite key with a VARCHAR part in sampled ranges, each row once', async () => {
    const { result, verification } = await copyAndVerify('order_lines', 'order_lines__restored_1', {
      parallelism: 4,
      rangeCount: 9,
      batchRows: 40,
    });
    expect(result.ranges.length).toBeGreaterThan(4);
    expect(result.rows).toBe(900);
    expect(verification).toMatchObject({ equal: true, side: { rows: 900 } });
  });

  it('copies a table without a usable key in one stream, duplicates included', async () => {
    const { result, verification } = await copyAndVerify('loose', 'loose__restored_1', {
      parallelism: 4,
    });
    expect(result.ranges).toHaveLength(1);
    expect(verification).toMatchObject({ equal: true, side: { rows: 5 } });
  });

  it('copies ~2 MB rows in inserts cut by bytes', async () => {
    const { result, verification } = await copyAndVerify('big', 'big__restored_1', {
      parallelism: 2,
      batchBytes: 1024 * 1024,
    });
    expect(result.rows).toBe(6);
    expect(verification.equal).toBe(true);
  });

  it('resumes an interrupted copy without duplicates', async () => {
    const stop = new AbortController();
    const done: number[] = [];
    const options = { parallelism: 2, rangeCount: 6, batchRows: 20 };
    await expect(
      copyTable({
        source,
        destination,
        from: from('order_lines'),
        to: to('order_lines__restored_2'),
        ...options,
        signal: stop.signal,
        onRangeDone: (range) => {
          done.push(range.index);
          if (done.length === 2) stop.abort(new Error('worker killed'));
        },
      }),
    ).rejects.toThrow('worker killed');
    const resumed = await copyTable({
      source,
      destination,
      from: from('order_lines'),
      to: to('order_lines__restored_2'),
      ...options,
      resume: { doneRanges: done },
    });
    expect(resumed.rows).toBeLessThan(900);
    const verification = await verifyCopy(
      source,
      destination,
      from('order_lines'),
      to('order_lines__restored_2'),
      resumed.shape.insertable,
    );
    expect(verification).toMatchObject({ equal: true, side: { rows: 900 } });
  });

  it('resumes into a side table still without its deferred indexes and adds them', async () => {
    const stop = new AbortController();
    const done: number[] = [];
    const options = { parallelism: 1, rangeCount: 4, batchRows: 30 };
    await expect(
      copyTable({
        source,
        destination,
        from: from('tagged'),
        to: to('tagged__restored_2'),
        ...options,
        signal: stop.signal,
        onRangeDone: (range) => {
          done.push(range.index);
          if (done.length === 1) stop.abort(new Error('worker killed'));
        },
      }),
    ).rejects.toThrow('worker killed');
    const indexNames = async () => {
      const [rows] = await destination.query<RowDataPacket[]>(
        `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'tagged__restored_2' ORDER BY name`,
        [destinationDb.name],
      );
      return rows.map((r) => r.name as string);
    };
    expect(await indexNames()).toEqual(['ft', 'PRIMARY', 'seq']);
    const resumed = await copyTable({
      source,
      destination,
      from: from('tagged'),
      to: to('tagged__restored_2'),
      ...options,
      resume: { doneRanges: done },
    });
    expect(await indexNames()).toEqual(['ba', 'code_u', 'ft', 'PRIMARY', 'seq', 'title_prefix']);
    const verification = await verifyCopy(
      source,
      destination,
      from('tagged'),
      to('tagged__restored_2'),
      resumed.shape.insertable,
    );
    expect(verification).toMatchObject({ equal: true, side: { rows: 600 } });
  });

  it('checksums differ when one byte differs', async () => {
    const lines = await copyAndVerify('order_lines', 'order_lines__restored_3');
    expect(lines.verification.equal).toBe(true);
    // ñ is C3 B1, ð is C3 B0: one byte, one row.
    await destination.query(
      `UPDATE order_lines__restored_3 SET note = 'ð' WHERE order_id = 100 AND note = 'ñ' LIMIT 1`,
    );
    const afterUpdate = await verifyCopy(
      source,
      destination,
      from('order_lines'),
      to('order_lines__restored_3'),
      lines.result.shape.insertable,
    );
    expect(afterUpdate).toMatchObject({ equal: false, side: { rows: 900 } });

    const loose = await copyAndVerify('loose', 'loose__restored_3');
    expect(loose.verification.equal).toBe(true);
    // 'a' and 'A' are equal under the column's collation, not in bytes.
    await destination.query(`UPDATE loose__restored_3 SET b = 'A' WHERE b = 'a' LIMIT 1`);
    const afterCase = await verifyCopy(
      source,
      destination,
      from('loose'),
      to('loose__restored_3'),
      loose.result.shape.insertable,
    );
    expect(afterCase.equal).toBe(false);
  });

  it('copies bytes LOAD DATA treats specially, NULL look-alikes, BIT, geometry, latin1, zero dates', async () => {
    for (const method of ['load-data', 'insert'] as const) {
      const { result, verification } = await copyAndVerify(
        'odd_types',
        `odd_types__${method.replace('-', '_')}`,
        {
          method,
        },
      );
      expect(result.method).toBe(method);
      expect(verification).toMatchObject({ equal: true, side: { rows: 4 } });
    }
    const [rows] = await destination.query<RowDataPacket[]>(
      `SELECT id, txt, l1, flags + 0 AS flags, ST_AsText(spot) AS spot FROM odd_types__load_data ORDER BY id`,
    );
    expect(rows.map((r) => [r.txt, r.l1, r.flags, r.spot])).toEqual([
      ['a\tb\nc\\d\0e\r', 'café', 2730, 'POINT(1.5 -2)'],
      ['', '', 0, null],
      ['\\N', 'NULL', null, null],
      ['N', 'ÿ', 1, 'POINT(0 0)'],
    ]);
  });

  it('copies with multi-row INSERTs, the way for a destination with local_infile OFF', async () => {
    const items = await copyAndVerify('items', 'items__restored_insert', {
      method: 'insert',
      parallelism: 3,
      rangeCount: 5,
      batchRows: 70,
    });
    expect(items.result).toMatchObject({ method: 'insert', rows: 1002 });
    expect(items.verification.equal).toBe(true);
    const lines = await copyAndVerify('order_lines', 'order_lines__restored_insert', {
      method: 'insert',
      rangeCount: 4,
    });
    expect(lines.verification).toMatchObject({ equal: true, side: { rows: 900 } });

    const noLocalInfile = new Proxy(destination, {
      get: (target, property) =>
        property === 'query'
          ? (sql: unknown, ...rest: unknown[]) =>
              sql === 'SELECT @@local_infile AS allowed'
                ? Promise.resolve([[{ allowed: 0 }], []])
                : (target.query as (...args: unknown[]) => unknown)(sql, ...rest)
          : (Reflect.get(target, property) as unknown),
    });
    const auto = await copyTable({
      source,
      destination: noLocalInfile,
      from: from('loose'),
      to: to('loose__restored_auto'),
    });
    expect(auto.method).toBe('insert');
    await expect(
      copyTable({
        source,
        destination: noLocalInfile,
        from: from('loose'),
        to: to('loose__restored_refused'),
        method: 'load-data',
      }),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlLoadDataRefused });
    const [[created]] = await destination.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [destinationDb.name, 'loose__restored_refused'],
    );
    expect(created!.n).toBe(0);
  });

  it('builds the secondary indexes after the rows, the same as the source has', async () => {
    const indexes = async (pool: Pool, database: string, table: string) => {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE, INDEX_COMMENT
           FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
          ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
        [database, table],
      );
      return rows;
    };
    const { result, verification } = await copyAndVerify('tagged', 'tagged__restored_1', {
      parallelism: 2,
      rangeCount: 3,
      batchRows: 100,
    });
    expect(result.rows).toBe(600);
    expect(verification.equal).toBe(true);
    const expected = await indexes(source, sourceDb.name, 'tagged');
    expect(expected.map((r) => r.INDEX_NAME)).toEqual(
      expect.arrayContaining(['PRIMARY', 'seq', 'code_u', 'ba', 'title_prefix', 'ft']),
    );
    expect(await indexes(destination, destinationDb.name, 'tagged__restored_1')).toEqual(expected);
  });

  it('fails a LOAD DATA that stores fewer rows than it was sent (LOCAL skips duplicate keys)', async () => {
    // A side table with a unique key the source's rows do not satisfy, resumed into.
    await destination.query(
      `CREATE TABLE order_lines__restored_dup LIKE ${sourceDb.name}.order_lines`,
    );
    await destination.query(`ALTER TABLE order_lines__restored_dup ADD UNIQUE KEY (note(10))`);
    // One connection: parallel ranges deleting and loading around this unique key can deadlock
    // (ER_LOCK_DEADLOCK) before a LOAD gets to skip a duplicate, on a loaded machine.
    await expect(
      copyTable({
        source,
        destination,
        from: from('order_lines'),
        to: to('order_lines__restored_dup'),
        parallelism: 1,
        resume: { doneRanges: [] },
      }),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlCopyRowsLost });
  });

  it('refuses hostile identifiers before any SQL', async () => {
    const noSql = new Proxy(
      {},
      { get: () => () => Promise.reject(new Error('SQL was sent')) },
    ) as Pool;
    for (const table of ['a;DROP TABLE items', 'a`b', 'x'.repeat(65)])
      await expect(
        copyTable({ source: noSql, destination: noSql, from: from(table), to: to('side') }),
      ).rejects.toMatchObject({ code: ErrorCode.MysqlIdentifierInvalid });
    await expect(
      copyTable({ source: noSql, destination: noSql, from: from('items'), to: to('s`; DROP') }),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlIdentifierInvalid });
  });
});

describe('compareTables', () => {
  it('reports rows missing from, changed in and extra in production by key', async () => {
    await destination.query(`INSERT INTO order_lines SELECT * FROM ${sourceDb.name}.order_lines`);
    await destination.query(`DELETE FROM order_lines WHERE order_id BETWEEN 10 AND 12`); // 9 rows
    await destination.query(
      `UPDATE order_lines SET qty = qty + 1 WHERE order_id = 50 AND qty IS NOT NULL`,
    );
    await destination.query(
      `UPDATE order_lines SET note = NULL WHERE order_id = 51 AND note = 'ññ'`,
    );
    await destination.query(
      `INSERT INTO order_lines VALUES (1000, 'new', 1, NULL), (1001, 'new', NULL, 'x')`,
    );
    const [changedKeys] = await destination.query<RowDataPacket[]>(
      `SELECT order_id, sku FROM ${sourceDb.name}.order_lines
        WHERE (order_id = 50 AND qty IS NOT NULL) OR (order_id = 51 AND note = 'ññ') ORDER BY order_id, sku`,
    );

    const comparison = await compareTables(
      destination,
      destinationDb.name,
      'order_lines',
      'order_lines__restored_1',
      5,
    );
    expect(comparison.key).toEqual(['order_id', 'sku']);
    expect(comparison.missing.count).toBe(9);
    expect(comparison.missing.sample).toHaveLength(5);
    expect(comparison.missing.sample[0]).toEqual(['10', 'sku-E0']); // seq 30: 30 DIV 3, 'A' + 30 % 26, 30 % 3
    expect(comparison.changed.count).toBe(changedKeys.length);
    expect(comparison.changed.sample).toEqual(
      changedKeys.slice(0, 5).map((k) => [String(k.order_id), k.sku]),
    );
    expect(comparison.extra).toEqual({
      count: 2,
      sample: [
        ['1000', 'new'],
        ['1001', 'new'],
      ],
    });
  });

  it('needs a key', async () => {
    await expect(
      compareTables(destination, destinationDb.name, 'loose', 'loose__restored_1'),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlNoUsableKey });
  });
});
