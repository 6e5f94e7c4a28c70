import mysql, { type Pool } from 'mysql2/promise';
import { ErrorCode } from '../../../src/errors';
import {
  readTableDependencies,
  replaceObstacle,
  type TableDependencies,
} from '../../../src/restore/table-dependencies';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * `orders` sits in the middle: it references customers (ON DELETE CASCADE) and regions (a
 * composite key, named in an order other than the table's column order), references itself,
 * is referenced by order_lines and by a table in another schema, and has two triggers. The
 * other schema also has a table named `orders`, whose keys must not be mixed in.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let other: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

const schema = () => db.name;

beforeAll(async () => {
  [db, other] = await Promise.all([createTestDatabase('deps'), createTestDatabase('deps_other')]);
  pool = mysql.createPool({ ...MYSQL, connectionLimit: 2, multipleStatements: false });
  const sql = [
    `CREATE TABLE ${db.name}.customers (id INT PRIMARY KEY)`,
    `CREATE TABLE ${db.name}.regions (country CHAR(2) NOT NULL, code CHAR(3) NOT NULL,
       PRIMARY KEY (country, code), UNIQUE KEY code_country (code, country))`,
    `CREATE TABLE ${db.name}.orders (
       id INT PRIMARY KEY,
       country CHAR(2) NULL,
       customer_id INT NULL,
       region CHAR(3) NULL,
       parent_id INT NULL,
       CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
         ON DELETE CASCADE ON UPDATE SET NULL,
       CONSTRAINT orders_region FOREIGN KEY (region, country) REFERENCES regions (code, country),
       CONSTRAINT orders_parent FOREIGN KEY (parent_id) REFERENCES orders (id) ON DELETE SET NULL)`,
    `CREATE TABLE ${db.name}.order_lines (
       order_id INT NOT NULL, line INT NOT NULL, PRIMARY KEY (order_id, line),
       CONSTRAINT lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE)`,
    `CREATE TABLE ${db.name}.audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20))`,
    `CREATE TRIGGER ${db.name}.orders_bi BEFORE INSERT ON ${db.name}.orders FOR EACH ROW
       SET NEW.country = UPPER(NEW.country)`,
    `CREATE TRIGGER ${db.name}.orders_au AFTER UPDATE ON ${db.name}.orders FOR EACH ROW
       INSERT INTO ${db.name}.audit (what) VALUES ('update')`,
    `CREATE TABLE ${db.name}.plain (id INT PRIMARY KEY, note TEXT)`,
    `CREATE TABLE ${other.name}.customers (id INT PRIMARY KEY)`,
    `CREATE TABLE ${other.name}.orders (id INT PRIMARY KEY, customer_id INT,
       CONSTRAINT other_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id))`,
    `CREATE TABLE ${other.name}.invoices (id INT PRIMARY KEY, order_id INT,
       CONSTRAINT invoices_order FOREIGN KEY (order_id) REFERENCES ${db.name}.orders (id))`,
  ];
  for (const statement of sql) await pool.query(statement);
});

afterAll(async () => {
  await pool.end();
  await other.drop();
  await db.drop();
});

describe('readTableDependencies', () => {
  let orders: TableDependencies;
  beforeAll(async () => {
    orders = await readTableDependencies(pool, schema(), 'orders');
  });

  it("reports the table's own foreign keys with their columns in key order and their rules", () => {
    expect(orders.references).toEqual([
      {
        name: 'orders_customer',
        table: 'orders',
        columns: ['customer_id'],
        referencedSchema: schema(),
        referencedTable: 'customers',
        referencedColumns: ['id'],
        onUpdate: 'SET NULL',
        onDelete: 'CASCADE',
      },
      {
        name: 'orders_region',
        table: 'orders',
        columns: ['region', 'country'],
        referencedSchema: schema(),
        referencedTable: 'regions',
        referencedColumns: ['code', 'country'],
        onUpdate: 'RESTRICT',
        onDelete: 'RESTRICT',
      },
    ]);
  });

  it('reports the foreign keys that reference the table, from other tables, other schemas and itself', () => {
    // Ordered by the referencing table's schema: the other schema's name sorts either way.
    const byName = [...orders.referencedBy].sort((a, b) => a.name.localeCompare(b.name));
    expect(
      byName.map((key) => ({
        name: key.name,
        table: `${key.schema === schema() ? '' : 'other:'}${key.table}`,
        columns: key.columns,
        referenced: `${key.referencedSchema}.${key.referencedTable}(${key.referencedColumns.join(',')})`,
        onDelete: key.onDelete,
      })),
    ).toEqual([
      {
        name: 'invoices_order',
        table: 'other:invoices',
        columns: ['order_id'],
        referenced: `${schema()}.orders(id)`,
        onDelete: 'RESTRICT',
      },
      {
        name: 'lines_order',
        table: 'order_lines',
        columns: ['order_id'],
        referenced: `${schema()}.orders(id)`,
        onDelete: 'CASCADE',
      },
      {
        name: 'orders_parent',
        table: 'orders',
        columns: ['parent_id'],
        referenced: `${schema()}.orders(id)`,
        onDelete: 'SET NULL',
      },
    ]);
  });

  it('counts a self-reference as referencing the table, not among the keys to re-add to a side table', () => {
    expect(orders.referencedBy.map((key) => key.name)).toContain('orders_parent');
    expect(orders.references.map((key) => key.name)).not.toContain('orders_parent');
  });

  it("lists the table's triggers by name, in name order", () => {
    expect(orders.triggers).toEqual(['orders_au', 'orders_bi']);
  });

  it('keeps apart a table of the same name in another schema', async () => {
    const otherOrders = await readTableDependencies(pool, other.name, 'orders');
    expect(otherOrders).toEqual({
      referencedBy: [],
      references: [
        {
          name: 'other_orders_customer',
          table: 'orders',
          columns: ['customer_id'],
          referencedSchema: other.name,
          referencedTable: 'customers',
          referencedColumns: ['id'],
          onUpdate: 'RESTRICT',
          onDelete: 'RESTRICT',
        },
      ],
      triggers: [],
      insertTriggers: [],
    });
  });

  it('reports a parent table as referenced, with nothing of its own', async () => {
    const regions = await readTableDependencies(pool, schema(), 'regions');
    expect(regions.references).toEqual([]);
    expect(regions.triggers).toEqual([]);
    expect(regions.referencedBy.map((key) => [key.table, key.name, key.columns])).toEqual([
      ['orders', 'orders_region', ['region', 'country']],
    ]);
  });

  it('reports nothing for a table without keys or triggers, and for a table that does not exist', async () => {
    const empty = { referencedBy: [], references: [], triggers: [], insertTriggers: [] };
    await expect(readTableDependencies(pool, schema(), 'plain')).resolves.toEqual(empty);
    await expect(readTableDependencies(pool, schema(), 'no_such_table')).resolves.toEqual(empty);
  });

  it('refuses a name that is not a safe identifier before asking the server', async () => {
    await expect(
      readTableDependencies(pool, schema(), 'orders`; DROP TABLE x'),
    ).rejects.toMatchObject({ code: ErrorCode.MysqlIdentifierInvalid });
    await expect(readTableDependencies(pool, 'a b', 'orders')).rejects.toMatchObject({
      code: ErrorCode.MysqlIdentifierInvalid,
    });
  });
});

describe('replaceObstacle', () => {
  it('names every referencing foreign key, and points at merge or a manual swap', async () => {
    const deps = await readTableDependencies(pool, schema(), 'orders');
    const message = replaceObstacle(deps, schema(), 'orders');
    expect(message).toMatch(
      new RegExp(
        `^${schema()}\\.orders is referenced by foreign keys \\((.+)\\); after a swap they would point at the old table\\. Use --mode merge, or --mode side and swap by hand\\.$`,
      ),
    );
    for (const name of [
      'order_lines.lines_order',
      'orders.orders_parent',
      // Another schema's table, named with its schema.
      `${other.name}.invoices.invoices_order`,
    ])
      expect(message).toContain(name);
  });

  it('names the triggers of a table that nothing references', () => {
    const deps: TableDependencies = {
      referencedBy: [],
      references: [],
      triggers: ['t_bi', 't_au'],
      insertTriggers: [{ name: 't_bi', timing: 'BEFORE' }],
    };
    expect(replaceObstacle(deps, 'shop', 't')).toBe(
      'shop.t has triggers (t_bi, t_au); a swap would leave them on the old table. Use --mode merge, or --mode side and swap by hand.',
    );
  });

  it("has no objection to the table's own foreign keys: the job re-adds them to the side table", async () => {
    const lines = await readTableDependencies(pool, schema(), 'order_lines');
    expect(lines.references.map((key) => key.name)).toEqual(['lines_order']);
    expect(replaceObstacle(lines, schema(), 'order_lines')).toBeUndefined();
  });

  it('has no objection to a table without dependencies', () => {
    expect(
      replaceObstacle(
        { referencedBy: [], references: [], triggers: [], insertTriggers: [] },
        'shop',
        't',
      ),
    ).toBeUndefined();
  });
});
