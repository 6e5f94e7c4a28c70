import mysql, { type Pool } from 'mysql2/promise';
import { ErrorCode } from '../../../src/errors';
import { checkProductionTable, type RestoreMode } from '../../../src/restore/restore-preflight';
import { createTestDatabase, MYSQL, uniqueName } from '../../helpers/services';

/** One database stands for production; each table is a case the preflight must tell apart. */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

const SCHEMA = [
  `CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50))`,
  `CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL,
     CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`,
  `CREATE TABLE tagged (id INT PRIMARY KEY, n INT)`,
  `CREATE TABLE tag_log (id INT AUTO_INCREMENT PRIMARY KEY, tagged_id INT)`,
  `CREATE TRIGGER tagged_ai AFTER INSERT ON tagged FOR EACH ROW
     INSERT INTO tag_log (tagged_id) VALUES (NEW.id)`,
  `CREATE TABLE tree (id INT PRIMARY KEY, parent_id INT NULL,
     CONSTRAINT tree_parent FOREIGN KEY (parent_id) REFERENCES tree (id))`,
  `CREATE TABLE heap (a INT NULL, b VARCHAR(10) NULL)`,
  `CREATE TABLE nullable_unique (code VARCHAR(10) NULL, UNIQUE KEY code (code))`,
  `CREATE TABLE strict_unique (code VARCHAR(10) NOT NULL, note TEXT, UNIQUE KEY code (code))`,
  `CREATE VIEW customer_names AS SELECT id, name FROM customers`,
  `CREATE SEQUENCE order_numbers`,
  `CREATE TABLE prices (id INT PRIMARY KEY, amount INT) WITH SYSTEM VERSIONING`,
];

beforeAll(async () => {
  db = await createTestDatabase('preflight');
  pool = mysql.createPool({ ...MYSQL, database: db.name, connectionLimit: 2 });
  for (const sql of SCHEMA) await pool.query(sql);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

async function refusal(table: string, mode: RestoreMode, schema = db.name): Promise<string> {
  const error = await checkProductionTable(pool, schema, table, mode).then(
    () => {
      throw new Error(`expected ${schema}.${table} to be refused for --mode ${mode}`);
    },
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: ErrorCode.RestoreRefused });
  return (error as Error).message;
}

describe('checkProductionTable', () => {
  it('refuses a schema that does not exist, naming it', async () => {
    const missing = uniqueName('nope');
    expect(await refusal('orders', 'side', missing)).toBe(
      `schema ${missing} does not exist in production`,
    );
  });

  it.each<RestoreMode>(['side', 'merge', 'replace'])(
    'refuses a table that does not exist (--mode %s), naming schema and table',
    async (mode) => {
      expect(await refusal('no_such_table', mode)).toBe(
        `table ${db.name}.no_such_table does not exist in production`,
      );
    },
  );

  it('refuses a view as a view, not a table', async () => {
    expect(await refusal('customer_names', 'side')).toBe(
      `${db.name}.customer_names is a view, not a table`,
    );
  });

  it('refuses a sequence as a sequence, not a table', async () => {
    expect(await refusal('order_numbers', 'side')).toBe(
      `${db.name}.order_numbers is a sequence, not a table`,
    );
  });

  it('refuses a system-versioned table, saying what it is in plain words', async () => {
    expect(await refusal('prices', 'side')).toBe(
      `${db.name}.prices is a system-versioned table, which /restore-table does not restore`,
    );
  });

  it.each<[string, RestoreMode]>([
    ['heap', 'merge'],
    ['heap', 'replace'],
    ['nullable_unique', 'merge'],
    ['nullable_unique', 'replace'],
  ])(
    'refuses %s for --mode %s: without a primary or NOT NULL unique key no row can be matched',
    async (table, mode) => {
      expect(await refusal(table, mode)).toBe(
        `${db.name}.${table} has no primary key or NOT NULL unique key, which --mode ${mode} needs to match rows; use --mode side`,
      );
    },
  );

  it('accepts a table without a usable key for --mode side, which matches no rows', async () => {
    const { shape, dependencies } = await checkProductionTable(pool, db.name, 'heap', 'side');
    expect(shape.key).toBeNull();
    expect(shape.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(dependencies).toEqual({
      referencedBy: [],
      references: [],
      triggers: [],
      insertTriggers: [],
    });
  });

  it('accepts a NOT NULL unique key as the key for --mode merge', async () => {
    const { shape } = await checkProductionTable(pool, db.name, 'strict_unique', 'merge');
    expect(shape.key?.name).toBe('code');
    expect(shape.key?.columns.map((c) => c.name)).toEqual(['code']);
  });

  it('refuses --mode replace on a table that other tables reference, naming the foreign key', async () => {
    expect(await refusal('customers', 'replace')).toBe(
      `${db.name}.customers is referenced by foreign keys (orders.orders_customer); after a swap they would point at the old table. Use --mode merge, or --mode side and swap by hand.`,
    );
  });

  it('refuses --mode replace on a table that references itself', async () => {
    expect(await refusal('tree', 'replace')).toMatch(
      /^\S+\.tree is referenced by foreign keys \(tree\.tree_parent\);/,
    );
  });

  it('refuses --mode replace on a table with triggers, naming them', async () => {
    expect(await refusal('tagged', 'replace')).toBe(
      `${db.name}.tagged has triggers (tagged_ai); a swap would leave them on the old table. Use --mode merge, or --mode side and swap by hand.`,
    );
  });

  it.each<RestoreMode>(['side', 'merge'])(
    'accepts referenced tables for --mode %s, and reports them',
    async (mode) => {
      const customers = await checkProductionTable(pool, db.name, 'customers', mode);
      expect(customers.dependencies.referencedBy.map((k) => k.name)).toEqual(['orders_customer']);
    },
  );

  it('accepts triggers for --mode side, and reports them', async () => {
    const tagged = await checkProductionTable(pool, db.name, 'tagged', 'side');
    expect(tagged.dependencies.triggers).toEqual(['tagged_ai']);
  });

  it('refuses --mode merge on a table with INSERT triggers, naming them, unless --fire-triggers', async () => {
    expect(await refusal('tagged', 'merge')).toBe(
      `${db.name}.tagged has INSERT triggers (tagged_ai (AFTER INSERT)): a merge would fire them once for every row it inserts. Add --fire-triggers to merge anyway, or use --mode side and insert by hand.`,
    );
    const tagged = await checkProductionTable(pool, db.name, 'tagged', 'merge', true);
    expect(tagged.dependencies.insertTriggers).toEqual([{ name: 'tagged_ai', timing: 'AFTER' }]);
  });

  it('accepts --mode replace on a table with only its own foreign keys, which the job re-adds', async () => {
    const { shape, dependencies } = await checkProductionTable(pool, db.name, 'orders', 'replace');
    expect(shape.key?.name).toBe('PRIMARY');
    expect(dependencies.referencedBy).toEqual([]);
    expect(dependencies.triggers).toEqual([]);
    expect(dependencies.references).toEqual([
      {
        name: 'orders_customer',
        table: 'orders',
        columns: ['customer_id'],
        referencedSchema: db.name,
        referencedTable: 'customers',
        referencedColumns: ['id'],
        onUpdate: 'RESTRICT',
        onDelete: 'CASCADE',
      },
    ]);
  });
});
