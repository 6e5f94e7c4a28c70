import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { ErrorCode } from '../../../src/errors';
import {
  copyDatabases,
  verifyDatabases,
  type DatabasesCheckpoint,
  type DatabasesCopyProgress,
} from '../../../src/mysql/copy-databases';
import { checksumCopiedTable, type TableContentSums } from '../../../src/mysql/verify-databases';
import {
  startStandaloneServer,
  type StandaloneServer,
} from '../../../devkit/sandbox/standalone-server';
import { standaloneTls } from '../../helpers/replication';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * Source: two databases on the shared local MariaDB (the stopped RDS read replica). Destination: a
 * standalone mariadbd with its binary log on (the on-premise replica). The engine gets pools of
 * exactly parallelism + 1 connections, so a run that needed more would hang.
 */
const PARALLELISM = 3;
const SLOW = 180_000;

let shop: Awaited<ReturnType<typeof createTestDatabase>>;
let crm: Awaited<ReturnType<typeof createTestDatabase>>;
let server: StandaloneServer;
let serverDir: string;
let admin: { user: string; password: string };
let source: Pool;
let destination: Pool;
let databases: string[];

const EMOJI = 'Zoë 😀 𝄞 漢字 \u{1F9D1}\u{200D}\u{1F4BB}';
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const SHOP_SCHEMA = [
  `CREATE TABLE z_parent (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, UNIQUE KEY name_u (name))`,
  // The child sorts before its parent and is loaded without it: the foreign key comes last.
  `CREATE TABLE a_child (id INT PRIMARY KEY, parent_id INT NULL, qty INT NOT NULL DEFAULT 1,
     KEY parent_id (parent_id),
     CONSTRAINT a_child_parent FOREIGN KEY (parent_id) REFERENCES z_parent (id) ON DELETE CASCADE,
     CONSTRAINT qty_positive CHECK (qty > 0))`,
  `CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, child_id INT NOT NULL, note VARCHAR(20) NOT NULL)`,
  `CREATE TABLE events_log (id BIGINT NOT NULL PRIMARY KEY, kind VARCHAR(20) NOT NULL, doc JSON NULL,
     body BLOB NULL, amount DECIMAL(20,6) NULL,
     note VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
     note_length INT AS (CHAR_LENGTH(note)) STORED, doubled BIGINT AS (id * 2) VIRTUAL,
     KEY kind_amount (kind, amount), UNIQUE KEY kind_id (kind, id))`,
  `CREATE TABLE order_lines (order_id INT NOT NULL, sku VARCHAR(20) NOT NULL, qty INT NULL,
     PRIMARY KEY (order_id, sku))`,
  `CREATE TABLE loose (a INT NULL, b VARCHAR(10) NULL)`,
  `CREATE TABLE by_year (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at))
     PARTITION BY RANGE (YEAR(at)) (PARTITION p2024 VALUES LESS THAN (2025),
                                    PARTITION pmax VALUES LESS THAN MAXVALUE)`,
  `CREATE TRIGGER a_child_audit AFTER INSERT ON a_child FOR EACH ROW
     INSERT INTO audit (child_id, note) VALUES (NEW.id, 'second')`,
  `CREATE TRIGGER a_child_audit_first AFTER INSERT ON a_child FOR EACH ROW PRECEDES a_child_audit
     INSERT INTO audit (child_id, note) VALUES (NEW.id, 'first')`,
  `CREATE PROCEDURE add_parent(IN p_id INT, IN p_name VARCHAR(50)) MODIFIES SQL DATA
     BEGIN INSERT INTO z_parent VALUES (p_id, p_name); END`,
  // Under PIPES_AS_CONCAT `||` joins strings; under the default sql_mode it is OR (0 or 1).
  `SET SESSION sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT')`,
  `CREATE FUNCTION parent_label(p_id INT) RETURNS VARCHAR(80) DETERMINISTIC READS SQL DATA
     RETURN (SELECT 'parent ' || name FROM z_parent WHERE id = p_id)`,
  `SET SESSION sql_mode = DEFAULT`,
  `CREATE VIEW z_base AS SELECT id, name FROM z_parent WHERE id <= 5`,
  // A view on a view that sorts before it, calling a stored function.
  `CREATE VIEW a_top AS SELECT id, parent_label(id) AS label FROM z_base`,
  `CREATE DEFINER = 'nobody'@'%' SQL SECURITY INVOKER VIEW invoker_view AS
     SELECT COUNT(*) AS n FROM a_child`,
  `CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'
     ON COMPLETION PRESERVE ENABLE COMMENT 'cleanup' DO DELETE FROM audit WHERE id < 0`,
  `INSERT INTO z_parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_10`,
  `INSERT INTO a_child (id, parent_id, qty) SELECT seq, seq % 10 + 1, seq FROM seq_1_to_40`,
  // An orphan, as a source that once ran with foreign_key_checks off may hold: copied as it is.
  `SET SESSION foreign_key_checks = 0`,
  `INSERT INTO a_child (id, parent_id) VALUES (41, 999)`,
  `SET SESSION foreign_key_checks = DEFAULT`,
  `INSERT INTO events_log (id, kind, doc, body, amount, note)
     SELECT seq, ELT(1 + seq % 3, 'click', 'view', 'buy'),
            IF(seq % 4 = 0, NULL, JSON_OBJECT('n', seq, 's', 'ü"\\\\', 'a', JSON_ARRAY(1, NULL))),
            IF(seq % 5 = 0, NULL, REPEAT(UNHEX(SHA2(seq, 256)), 1 + seq % 3)),
            seq * 1.000001 - 1000, IF(seq % 7 = 0, NULL, CONCAT('event ', seq, ' ', '${EMOJI}'))
       FROM seq_1_to_3000`,
  `INSERT INTO order_lines SELECT seq DIV 3, CONCAT('sku-', CHAR(65 + seq % 26), seq % 3),
     IF(seq % 4 = 0, NULL, seq) FROM seq_1_to_600`,
  `INSERT INTO loose VALUES (1, 'a'), (1, 'a'), (NULL, NULL), (2, NULL), (NULL, NULL)`,
  `INSERT INTO by_year SELECT seq, '2024-01-01' + INTERVAL seq * 5 DAY FROM seq_1_to_100`,
  `ANALYZE TABLE z_parent, a_child, audit, events_log, order_lines, loose, by_year`,
];

const crmSchema = (shopName: string, crmName: string) => [
  `ALTER DATABASE \`${crmName}\` CHARACTER SET latin1 COLLATE latin1_general_ci`,
  `CREATE TABLE customers (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL,
     city VARCHAR(30) CHARACTER SET utf8mb4 NULL, balance DECIMAL(30,10) NOT NULL,
     shop_parent INT NULL, KEY shop_parent (shop_parent),
     CONSTRAINT customers_shop_parent FOREIGN KEY (shop_parent) REFERENCES \`${shopName}\`.z_parent (id))`,
  `CREATE TABLE empty_one (id INT PRIMARY KEY)`,
  `INSERT INTO customers SELECT seq, CONCAT('café ', seq), IF(seq % 2, '${EMOJI}', NULL),
     seq * 12345.0123456789, IF(seq % 3 = 0, NULL, seq % 10 + 1) FROM seq_1_to_49`,
  `INSERT INTO customers VALUES (18446744073709551615, 'Zoë', NULL, -99999999999999999999.9999999999, NULL)`,
  `ANALYZE TABLE customers, empty_one`,
];

async function run(database: string, statements: string[], pool = MYSQL): Promise<void> {
  const conn = await mysql.createConnection({ ...pool, database, charset: 'utf8mb4' });
  try {
    for (const sql of statements) await conn.query(sql);
  } finally {
    await conn.end();
  }
}

const openPool = (server: mysql.PoolOptions) =>
  mysql.createPool({ ...server, charset: 'utf8mb4', connectionLimit: PARALLELISM + 1 });

async function count(pool: Pool, sql: string, values: unknown[] = []): Promise<number> {
  const [[row]] = await pool.query<RowDataPacket[]>(sql, values);
  return Number(Object.values(row!)[0]);
}

async function destinationDatabases(): Promise<string[]> {
  const [rows] = await destination.query<RowDataPacket[]>(
    'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY name',
  );
  return rows.map((row) => String(row.name));
}

beforeAll(async () => {
  [shop, crm] = await Promise.all([
    createTestDatabase('cpdb_shop'),
    createTestDatabase('cpdb_crm'),
  ]);
  databases = [shop.name, crm.name];
  await run(shop.name, SHOP_SCHEMA);
  await run(crm.name, crmSchema(shop.name, crm.name));
  // Every byte value in a BLOB, and a utf8mb4 note with characters outside the BMP.
  const seed = await mysql.createConnection({ ...MYSQL, database: shop.name, charset: 'utf8mb4' });
  await seed.query('UPDATE events_log SET body = ?, note = ? WHERE id = 8', [ALL_BYTES, EMOJI]);
  await seed.end();
  serverDir = await mkdtemp(join(tmpdir(), 'opsdeck-copydb-'));
  admin = { user: 'opsdeck_admin', password: randomBytes(12).toString('hex') };
  server = await startStandaloneServer({ dataDir: serverDir, serverId: 4242, admin });
  source = openPool(MYSQL);
  // The destination accepts only TLS: the copy (LOAD DATA LOCAL included) runs over it.
  destination = openPool({ ...standaloneTls(server), ...admin });
  // A database the copy is not asked for: it must come through every run untouched.
  await destination.query('CREATE DATABASE bystander');
  await destination.query('CREATE TABLE bystander.kept (id INT PRIMARY KEY, v VARCHAR(10))');
  await destination.query(`INSERT INTO bystander.kept VALUES (1, 'one'), (2, 'two')`);
}, SLOW);

afterAll(async () => {
  await Promise.all([source?.end(), destination?.end()]);
  await server?.stop();
  if (serverDir) await rm(serverDir, { recursive: true, force: true });
  await Promise.all([shop?.drop(), crm?.drop()]);
}, SLOW);

describe('copyDatabases refuses before anything changes', () => {
  const noSql = new Proxy(
    {},
    { get: () => () => Promise.reject(new Error('SQL was sent')) },
  ) as Pool;

  it('refuses unsafe names, system schemas and empty or repeated lists without any SQL', async () => {
    for (const list of [['shop;DROP'], ['a`b'], ['x'.repeat(65)]])
      await expect(
        copyDatabases({ source: noSql, destination: noSql, databases: list }),
      ).rejects.toMatchObject({ code: ErrorCode.MysqlIdentifierInvalid });
    await expect(
      copyDatabases({ source: noSql, destination: noSql, databases: ['mysql'] }),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlCopyUnsupported });
    for (const list of [[], ['a', 'a']])
      await expect(
        copyDatabases({ source: noSql, destination: noSql, databases: list }),
      ).rejects.toMatchObject({ code: ErrorCode.InputInvalid });
  });

  it('refuses a database missing on the source', async () => {
    const before = await destinationDatabases();
    await expect(
      copyDatabases({ source, destination, databases: [shop.name, 'cpdb_no_such_database'] }),
    ).rejects.toMatchObject({
      code: ErrorCode.MysqlDatabaseNotFound,
      message: expect.stringContaining('cpdb_no_such_database'),
    });
    expect(await destinationDatabases()).toEqual(before);
  });

  it('refuses a system-versioned table', async () => {
    const versioned = await createTestDatabase('cpdb_versioned');
    try {
      await run(versioned.name, [
        'CREATE TABLE history (id INT PRIMARY KEY) WITH SYSTEM VERSIONING',
      ]);
      const before = await destinationDatabases();
      await expect(
        copyDatabases({ source, destination, databases: [crm.name, versioned.name] }),
      ).rejects.toMatchObject({
        code: ErrorCode.MysqlCopyUnsupported,
        message: expect.stringContaining(`${versioned.name}.history is a system versioned table`),
      });
      expect(await destinationDatabases()).toEqual(before);
    } finally {
      await versioned.drop();
    }
  });

  it('refuses a function the destination binary log would reject at the end', async () => {
    // The standalone server is the source here (it may trust function creators), the shared
    // server the destination (binary log on, log_bin_trust_function_creators off).
    await destination.query('SET GLOBAL log_bin_trust_function_creators = 1');
    await destination.query('CREATE DATABASE cpdb_unsafe_function');
    try {
      await destination.query(
        'CREATE FUNCTION cpdb_unsafe_function.next_id() RETURNS INT RETURN 1',
      );
      const shared = openPool(MYSQL);
      const [[flags]] = await shared.query<RowDataPacket[]>(
        'SELECT @@log_bin AS logBin, @@log_bin_trust_function_creators AS trusted',
      );
      expect(flags).toEqual({ logBin: 1, trusted: 0 });
      try {
        await expect(
          copyDatabases({
            source: destination,
            destination: shared,
            databases: ['cpdb_unsafe_function'],
          }),
        ).rejects.toMatchObject({
          code: ErrorCode.MysqlCopyUnsupported,
          message: expect.stringContaining('cpdb_unsafe_function.next_id'),
        });
        expect(
          await count(
            shared,
            `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'cpdb_unsafe_function'`,
          ),
        ).toBe(0);
      } finally {
        await shared.end();
      }
    } finally {
      await destination.query('DROP DATABASE cpdb_unsafe_function');
      await destination.query('SET GLOBAL log_bin_trust_function_creators = 0');
    }
  });
});

describe('copyDatabases', () => {
  it(
    'copies two databases: tables of every kind in parallel ranges, then indexes, foreign keys, views, routines, triggers, events',
    async () => {
      const progress: DatabasesCopyProgress[] = [];
      const checkpoints: DatabasesCheckpoint[] = [];
      const result = await copyDatabases({
        source,
        destination,
        databases,
        parallelism: PARALLELISM,
        rangeRows: 200,
        batchRows: 50,
        onProgress: (p) => progress.push(p),
        onCheckpoint: (c) => {
          checkpoints.push(c);
        },
      });

      expect(result).toMatchObject({
        method: 'load-data',
        routines: 2,
        views: 3,
        triggers: 2,
        events: 1,
        rows: 3000 + 600 + 5 + 100 + 10 + 41 + 82 + 50,
      });
      expect(result.tables[0]).toEqual({ database: shop.name, table: 'events_log', rows: 3000 });
      expect(result.tables.map((t) => `${t.database}.${t.table}`).sort()).toEqual(
        [
          ...['a_child', 'audit', 'by_year', 'events_log', 'loose', 'order_lines', 'z_parent'].map(
            (t) => `${shop.name}.${t}`,
          ),
          ...['customers', 'empty_one'].map((t) => `${crm.name}.${t}`),
        ].sort(),
      );

      const verification = await verifyDatabases(source, destination, databases);
      expect(verification.differences).toEqual([]);
      expect(verification.equal).toBe(true);
      expect(verification.tables).toHaveLength(9);
      expect(verification.objects.map((o) => `${o.type} ${o.name}`).sort()).toEqual([
        'EVENT nightly',
        'FUNCTION parent_label',
        'PROCEDURE add_parent',
        'TRIGGER a_child_audit',
        'TRIGGER a_child_audit_first',
        'VIEW a_top',
        'VIEW invoker_view',
        'VIEW z_base',
      ]);

      // The big table was cut into ranges of about 200 rows, recorded range by range.
      const eventsLog = `${shop.name}.events_log`;
      const estimate = await count(
        source,
        `SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'events_log'`,
        [shop.name],
      );
      const ranges = Math.ceil(estimate / 200);
      expect(ranges).toBeGreaterThanOrEqual(10);
      const inProgress = checkpoints.filter((c) => c.tables[eventsLog]?.state === 'copying');
      expect(inProgress[0]!.tables[eventsLog]!.boundaries).toHaveLength(ranges - 1);
      expect(inProgress.at(-1)!.tables[eventsLog]!.doneRanges).toHaveLength(ranges - 1);
      expect(checkpoints[0]).toMatchObject({ prepared: true, tablesCreated: false });
      expect(checkpoints.at(-1)).toMatchObject({
        prepared: true,
        tablesCreated: true,
        foreignKeys: true,
        objects: ['routines', 'views', 'triggers', 'events'],
      });
      expect(Object.values(checkpoints.at(-1)!.tables).every((t) => t.state === 'indexed')).toBe(
        true,
      );
      expect(JSON.parse(JSON.stringify(checkpoints.at(-1)))).toEqual(checkpoints.at(-1));

      const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
      expect(phases).toEqual(['tables', 'indexes', 'objects']);
      expect(progress.at(-1)).toMatchObject({ percent: 100, tablesDone: 9, tablesTotal: 9 });
      expect(progress.slice(0, -1).every((p) => p.percent < 100)).toBe(true);
      expect(progress.some((p) => p.etaMs !== null && p.etaMs > 0)).toBe(true);
      const percents = progress.map((p) => p.percent);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
    },
    SLOW,
  );

  it('keeps exact values, generated columns, database defaults, definers and sql_modes', async () => {
    const q = async (pool: Pool, sql: string) => (await pool.query<RowDataPacket[]>(sql))[0];
    const sample = `SELECT id, kind, doc, body, CAST(amount AS CHAR) AS amount, note, note_length,
                           CAST(doubled AS CHAR) AS doubled
                      FROM \`${shop.name}\`.events_log WHERE id IN (7, 8, 2999) ORDER BY id`;
    const rows = await q(destination, sample);
    expect(rows).toEqual(await q(source, sample));
    expect(rows[1]).toMatchObject({
      id: 8,
      body: ALL_BYTES,
      note: EMOJI,
      note_length: [...EMOJI].length,
    });
    const customer = `SELECT CAST(id AS CHAR) AS id, name, city, CAST(balance AS CHAR) AS balance
                        FROM \`${crm.name}\`.customers WHERE id IN (1, 18446744073709551615) ORDER BY id`;
    const customers = await q(destination, customer);
    expect(customers).toEqual(await q(source, customer));
    expect(customers[1]).toMatchObject({ id: '18446744073709551615', name: 'Zoë' });
    expect(customers[0]).toMatchObject({ name: 'café 1', city: EMOJI });

    const schemata = `SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS cs,
                             DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA
                       WHERE SCHEMA_NAME IN ('${shop.name}', '${crm.name}') ORDER BY name`;
    expect(await q(destination, schemata)).toEqual(await q(source, schemata));
    expect((await q(destination, schemata)).find((d) => d.name === crm.name)).toMatchObject({
      co: 'latin1_general_ci',
    });

    const routines = `SELECT ROUTINE_NAME AS name, SQL_MODE AS mode, DEFINER AS definer
                        FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${shop.name}'
                       ORDER BY name`;
    const copiedRoutines = await q(destination, routines);
    expect(copiedRoutines).toEqual(await q(source, routines));
    expect(copiedRoutines.find((r) => r.name === 'parent_label')!.mode).toContain(
      'PIPES_AS_CONCAT',
    );
    // The view selects from a view and calls the function, which kept its sql_mode.
    expect(await q(destination, `SELECT * FROM \`${shop.name}\`.a_top ORDER BY id`)).toEqual(
      [1, 2, 3, 4, 5].map((id) => ({ id, label: `parent p${id}` })),
    );
    const views = `SELECT TABLE_NAME AS name, DEFINER AS definer, SECURITY_TYPE AS security
                     FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '${shop.name}' ORDER BY name`;
    expect(await q(destination, views)).toEqual(await q(source, views));
    expect((await q(destination, views)).find((v) => v.name === 'invoker_view')).toEqual({
      name: 'invoker_view',
      definer: 'nobody@%',
      security: 'INVOKER',
    });
    const checks = `SELECT CONSTRAINT_NAME AS name FROM information_schema.CHECK_CONSTRAINTS
                     WHERE CONSTRAINT_SCHEMA = '${shop.name}' ORDER BY name`;
    const copiedChecks = await q(destination, checks);
    expect(copiedChecks).toEqual(await q(source, checks));
    expect(copiedChecks).toContainEqual({ name: 'qty_positive' });
  });

  it('adds the foreign keys without validating, and they hold afterwards', async () => {
    const [keys] = await destination.query<RowDataPacket[]>(
      `SELECT CONSTRAINT_SCHEMA AS db, CONSTRAINT_NAME AS name, REFERENCED_TABLE_NAME AS parent
         FROM information_schema.REFERENTIAL_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA IN (?) ORDER BY name`,
      [databases],
    );
    expect(keys).toEqual([
      { db: shop.name, name: 'a_child_parent', parent: 'z_parent' },
      { db: crm.name, name: 'customers_shop_parent', parent: 'z_parent' },
    ]);
    expect(
      await count(destination, `SELECT COUNT(*) FROM \`${shop.name}\`.a_child WHERE id = 41`),
    ).toBe(1);
    await expect(
      destination.query(`INSERT INTO \`${shop.name}\`.a_child (id, parent_id) VALUES (500, 12345)`),
    ).rejects.toMatchObject({ code: 'ER_NO_REFERENCED_ROW_2' });
  });

  it('loads without firing triggers, which fire afterwards in their order', async () => {
    const audit = `SELECT COUNT(*) FROM \`${shop.name}\`.audit`;
    expect(await count(source, audit)).toBe(82);
    expect(await count(destination, audit)).toBe(82);
    const conn = await destination.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query(`INSERT INTO \`${shop.name}\`.a_child (id, parent_id) VALUES (500, 1)`);
      const [rows] = await conn.query<RowDataPacket[]>(
        `SELECT note FROM \`${shop.name}\`.audit WHERE child_id = 500 ORDER BY id`,
      );
      expect(rows.map((r) => r.note)).toEqual(['first', 'second']);
    } finally {
      await conn.rollback();
      conn.release();
    }
  });

  it('creates the event disabled on the replica, and the procedure runs', async () => {
    const status = `SELECT EVENT_NAME AS name, STATUS AS status FROM information_schema.EVENTS
                     WHERE EVENT_SCHEMA = '${shop.name}'`;
    expect((await source.query<RowDataPacket[]>(status))[0]).toEqual([
      { name: 'nightly', status: 'ENABLED' },
    ]);
    expect((await destination.query<RowDataPacket[]>(status))[0]).toEqual([
      { name: 'nightly', status: 'SLAVESIDE_DISABLED' },
    ]);
    const conn = await destination.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query(`CALL \`${shop.name}\`.add_parent(77, 'p77')`);
      const [[row]] = await conn.query<RowDataPacket[]>(
        `SELECT \`${shop.name}\`.parent_label(77) AS label`,
      );
      expect(row!.label).toBe('parent p77');
    } finally {
      await conn.rollback();
      conn.release();
    }
  });

  it('verifyDatabases uses the checksums taken as each table finished, if over the same columns', async () => {
    const key = `${shop.name}.events_log`;
    const early = await checksumCopiedTable(source, destination, shop.name, 'events_log');
    expect(early.destination).toEqual(early.source);
    expect(early.source.rows).toBeGreaterThan(0);
    const verify = (sums: TableContentSums) =>
      verifyDatabases(source, destination, databases, { contentSums: { [key]: sums } });
    expect((await verify(early)).equal).toBe(true);
    // They stand in for reading the table again: a difference in them is what verify reports.
    const differing = { ...early, destination: { ...early.destination, checksum: '1-2' } };
    expect((await verify(differing)).differences).toEqual([
      `table ${key}: content differs (same row count, different checksum)`,
    ]);
    // Taken over other columns (the table changed since): not used, the table is read again.
    expect((await verify({ ...differing, columns: ['id'] })).equal).toBe(true);
  });

  it('verifyDatabases finds a changed row and a missing trigger', async () => {
    await destination.query(
      `UPDATE \`${shop.name}\`.events_log SET note = 'changed' WHERE id = 10`,
    );
    await destination.query(`DROP TRIGGER \`${shop.name}\`.a_child_audit`);
    const verification = await verifyDatabases(source, destination, databases, {
      parallelism: 2,
    });
    expect(verification.equal).toBe(false);
    expect(verification.differences.sort()).toEqual([
      `table ${shop.name}.events_log: content differs (same row count, different checksum)`,
      `trigger ${shop.name}.a_child_audit: missing on the destination`,
    ]);
    expect(verification.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['events_log']);
    expect(verification.objects.find((o) => o.name === 'a_child_audit')).toMatchObject({
      onSource: true,
      onDestination: false,
      equal: false,
    });
  });

  it(
    'resumes an aborted copy range by range: no duplicates, no gaps, databases not dropped again',
    async () => {
      const stop = new AbortController();
      const eventsLog = `${shop.name}.events_log`;
      let last: DatabasesCheckpoint | undefined;
      const options = {
        source,
        destination,
        databases,
        parallelism: 2,
        rangeRows: 200,
        batchRows: 25,
      };
      await expect(
        copyDatabases({
          ...options,
          signal: stop.signal,
          onCheckpoint: (c) => {
            last = c;
          },
          onProgress: () => {
            if ((last?.tables[eventsLog]?.doneRanges?.length ?? 0) >= 3)
              stop.abort(new Error('worker killed'));
          },
        }),
      ).rejects.toThrow('worker killed');
      const interrupted = last!;
      const table = interrupted.tables[eventsLog]!;
      expect(interrupted).toMatchObject({ prepared: true, tablesCreated: true, objects: [] });
      expect(table.state).toBe('copying');
      const lastRange = table.boundaries!.length;
      expect(table.doneRanges).not.toContain(lastRange);
      expect(interrupted.tables[`${shop.name}.loose`]).toBeUndefined();

      // After the first run's prepare: a table the resumed run must not drop with its database,
      // and rows an interrupted range or table may have left that the resumed run must replace.
      await destination.query(`CREATE TABLE \`${shop.name}\`.marker (id INT)`);
      await destination.query(
        `REPLACE INTO \`${shop.name}\`.events_log (id, kind, note) VALUES (3000, 'junk', 'junk')`,
      );
      await destination.query(`INSERT INTO \`${shop.name}\`.loose VALUES (99, 'junk')`);

      const progress: DatabasesCopyProgress[] = [];
      const result = await copyDatabases({
        ...options,
        resume: interrupted,
        onProgress: (p) => progress.push(p),
      });
      expect(table.rows).toBeGreaterThan(0);
      expect(progress[0]!.rows).toBe(
        Object.values(interrupted.tables).reduce((sum, t) => sum + t.rows, 0),
      );
      expect(result.tables.find((t) => t.table === 'events_log')!.rows).toBe(3000);
      expect(await count(destination, `SELECT COUNT(*) FROM \`${shop.name}\`.events_log`)).toBe(
        3000,
      );
      expect(await count(destination, `SELECT COUNT(*) FROM \`${shop.name}\`.loose`)).toBe(5);

      const verification = await verifyDatabases(source, destination, databases);
      expect(verification.differences).toEqual([
        `table ${shop.name}.marker: only on the destination`,
      ]);
      await destination.query(`DROP TABLE \`${shop.name}\`.marker`);
      expect((await verifyDatabases(source, destination, databases)).equal).toBe(true);
    },
    SLOW,
  );

  it(
    'copies with INSERTs, to the same result, when the destination has local_infile OFF',
    async () => {
      await destination.query('SET GLOBAL local_infile = 0');
      try {
        const result = await copyDatabases({
          source,
          destination,
          databases,
          parallelism: PARALLELISM,
          rangeRows: 500,
          batchRows: 100,
        });
        expect(result.method).toBe('insert');
        const verification = await verifyDatabases(source, destination, databases);
        expect(verification.differences).toEqual([]);
      } finally {
        await destination.query('SET GLOBAL local_infile = 1');
      }
    },
    SLOW,
  );

  it('never touched a database it was not asked for', async () => {
    expect(await destinationDatabases()).toContain('bystander');
    const [rows] = await destination.query<RowDataPacket[]>(
      'SELECT id, v FROM bystander.kept ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 1, v: 'one' },
      { id: 2, v: 'two' },
    ]);
  });
});
