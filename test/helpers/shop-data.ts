import type { Connection } from 'mysql2/promise';

/**
 * The benchmark's database: a shop with tables of different sizes (order items 60 % of the rows,
 * orders 25 %, payments 10 %, customers 5 %, plus small products and countries tables), secondary
 * indexes, foreign keys, a view, a trigger and a procedure, so a seed must carry all of them.
 * Rows are generated on the server from the Sequence engine's seq_1_to_N tables, in chunks
 * (one binlogged transaction each), as devkit/sandbox/seed.ts does.
 */
export interface ShopSizes {
  countries: number;
  products: number;
  customers: number;
  orders: number;
  orderItems: number;
  payments: number;
}

const COUNTRIES = ['DE', 'FR', 'NL', 'BE', 'AT', 'CH', 'IT', 'ES', 'PL', 'SE', 'DK', 'IE'];
const CHUNK_ROWS = 50_000;

/** Table sizes adding up to at least `totalRows` (the small tables come on top). */
export function shopSizes(totalRows: number): ShopSizes {
  if (!Number.isInteger(totalRows) || totalRows < 1000)
    throw new Error(`the shop needs at least 1000 rows, not ${totalRows}`);
  const customers = Math.round(totalRows * 0.05);
  const orders = Math.round(totalRows * 0.25);
  const payments = Math.round(totalRows * 0.1);
  return {
    countries: COUNTRIES.length,
    products: 2000,
    customers,
    orders,
    payments,
    orderItems: totalRows - customers - orders - payments,
  };
}

export const totalRows = (sizes: ShopSizes): number =>
  Object.values(sizes).reduce((sum, rows) => sum + rows, 0);

/** In dependency order (parents first). */
export const SHOP_TABLES = [
  'countries',
  'products',
  'customers',
  'orders',
  'order_items',
  'payments',
] as const;

const SCHEMA_SQL: readonly string[] = [
  `CREATE TABLE countries (
     code CHAR(2) NOT NULL PRIMARY KEY,
     name VARCHAR(64) NOT NULL,
     vat_rate DECIMAL(4,2) NOT NULL
   )`,
  `CREATE TABLE products (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     sku VARCHAR(32) NOT NULL,
     name VARCHAR(120) NOT NULL,
     price_cents INT UNSIGNED NOT NULL,
     stock INT NOT NULL,
     attributes JSON NULL,
     updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
     UNIQUE KEY uq_products_sku (sku)
   )`,
  `CREATE TABLE customers (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     email VARCHAR(190) NOT NULL,
     name VARCHAR(100) NOT NULL,
     country CHAR(2) NOT NULL,
     created_at DATETIME NOT NULL,
     last_seen_at DATETIME NULL,
     visits INT UNSIGNED NOT NULL DEFAULT 0,
     UNIQUE KEY uq_customers_email (email),
     CONSTRAINT fk_customers_country FOREIGN KEY (country) REFERENCES countries (code)
   )`,
  `CREATE TABLE orders (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     customer_id INT UNSIGNED NOT NULL,
     status ENUM('new', 'paid', 'shipped', 'cancelled') NOT NULL,
     total_cents INT UNSIGNED NOT NULL,
     currency CHAR(3) NOT NULL DEFAULT 'EUR',
     note VARCHAR(255) NULL,
     created_at DATETIME NOT NULL,
     updated_at DATETIME(6) NULL,
     KEY ix_orders_customer_created (customer_id, created_at),
     KEY ix_orders_status (status),
     CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
   )`,
  `CREATE TABLE order_items (
     id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     order_id INT UNSIGNED NOT NULL,
     product_id INT UNSIGNED NOT NULL,
     quantity SMALLINT UNSIGNED NOT NULL,
     unit_price_cents INT UNSIGNED NOT NULL,
     CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id),
     CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES products (id)
   )`,
  `CREATE TABLE payments (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     order_id INT UNSIGNED NOT NULL,
     method ENUM('card', 'sepa', 'paypal', 'invoice') NOT NULL,
     amount_cents INT UNSIGNED NOT NULL,
     reference BINARY(16) NOT NULL,
     paid_at DATETIME(3) NOT NULL,
     CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id)
   )`,
  `CREATE VIEW customer_order_totals AS
     SELECT c.id AS customer_id, c.email, COUNT(o.id) AS orders,
            COALESCE(SUM(o.total_cents), 0) AS total_cents
       FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
      GROUP BY c.id, c.email`,
  `CREATE TRIGGER payments_mark_order_paid AFTER INSERT ON payments FOR EACH ROW
     UPDATE orders SET status = 'paid', updated_at = NOW(6)
      WHERE id = NEW.order_id AND status = 'new'`,
  `CREATE PROCEDURE place_order(IN p_customer INT UNSIGNED, IN p_product INT UNSIGNED,
                                IN p_quantity SMALLINT UNSIGNED)
   BEGIN
     DECLARE v_price INT UNSIGNED;
     START TRANSACTION;
     SELECT price_cents INTO v_price FROM products WHERE id = p_product FOR UPDATE;
     INSERT INTO orders (customer_id, status, total_cents, created_at)
       VALUES (p_customer, 'new', v_price * p_quantity, NOW());
     INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
       VALUES (LAST_INSERT_ID(), p_product, p_quantity, v_price);
     UPDATE products SET stock = stock - p_quantity WHERE id = p_product;
     COMMIT;
   END`,
];

/** `INSERT ... SELECT` of rows `start..end` of each table, from seq_<start>_to_<end>. */
function fillSql(
  sizes: ShopSizes,
): Record<(typeof SHOP_TABLES)[number], (range: string) => string> {
  return {
    countries: () =>
      `INSERT INTO countries VALUES ${COUNTRIES.map(
        (code, i) => `('${code}', 'Country ${code}', ${(17 + (i % 9)).toFixed(2)})`,
      ).join(', ')}`,
    products: (range) => `INSERT INTO products (id, sku, name, price_cents, stock, attributes)
      SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), CONCAT('Product ', seq, ' ', SHA1(seq)),
             199 + (seq * 7919) % 50000, 1000000,
             IF(seq % 3 = 0, NULL, JSON_OBJECT('color', ELT(1 + seq % 4, 'red', 'blue', 'green', 'black'),
                                              'weight_g', 100 + seq % 900))
        FROM ${range}`,
    customers: (
      range,
    ) => `INSERT INTO customers (id, email, name, country, created_at, last_seen_at, visits)
      SELECT seq, CONCAT('customer', seq, '@example.com'), CONCAT('Customer ', seq),
             ELT(1 + seq % ${COUNTRIES.length}, ${COUNTRIES.map((c) => `'${c}'`).join(', ')}),
             '2023-01-01' + INTERVAL seq MINUTE,
             IF(seq % 5 = 0, NULL, '2024-06-01' + INTERVAL seq SECOND), seq % 40
        FROM ${range}`,
    orders: (
      range,
    ) => `INSERT INTO orders (id, customer_id, status, total_cents, currency, note, created_at, updated_at)
      SELECT seq, 1 + (seq * 7919) % ${sizes.customers},
             ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), 500 + (seq * 104729) % 200000,
             IF(seq % 10 = 0, 'CHF', 'EUR'),
             IF(seq % 7 = 0, CONCAT('gift wrap, deliver to door ', seq % 100, ' ünïcödé'), NULL),
             '2023-06-01' + INTERVAL seq SECOND,
             IF(seq % 2 = 0, '2024-01-01 00:00:00.000000' + INTERVAL seq * 1000 MICROSECOND, NULL)
        FROM ${range}`,
    order_items: (
      range,
    ) => `INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_cents)
      SELECT seq, 1 + FLOOR((seq - 1) * ${sizes.orders} / ${sizes.orderItems}),
             1 + (seq * 31) % ${sizes.products}, 1 + seq % 5, 199 + (seq * 7919) % 50000
        FROM ${range}`,
    payments: (
      range,
    ) => `INSERT INTO payments (id, order_id, method, amount_cents, reference, paid_at)
      SELECT seq, 1 + FLOOR((seq - 1) * ${sizes.orders} / ${sizes.payments}),
             ELT(1 + seq % 4, 'card', 'sepa', 'paypal', 'invoice'), 500 + (seq * 104729) % 200000,
             UNHEX(MD5(CONCAT('payment-', seq))), '2023-06-02' + INTERVAL seq SECOND
        FROM ${range}`,
  };
}

const rowsOf = (sizes: ShopSizes, table: (typeof SHOP_TABLES)[number]): number =>
  ({
    countries: sizes.countries,
    products: sizes.products,
    customers: sizes.customers,
    orders: sizes.orders,
    order_items: sizes.orderItems,
    payments: sizes.payments,
  })[table];

/**
 * Creates the schema in the connection's current (empty) database and fills it. Binlogged like
 * any application write: a read replica is built from this history. `onTable` reports progress.
 */
export async function loadShop(
  conn: Connection,
  sizes: ShopSizes,
  onTable?: (table: string, rows: number) => void,
): Promise<void> {
  for (const sql of SCHEMA_SQL) await conn.query(sql);
  // The generated rows are consistent by construction: checking every parent row would only
  // slow the load (the flags travel with the row events, so replicas skip the checks too).
  await conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
  const fill = fillSql(sizes);
  try {
    for (const table of SHOP_TABLES) {
      const rows = rowsOf(sizes, table);
      if (table === 'countries') await conn.query(fill.countries(''));
      else
        for (let start = 1; start <= rows; start += CHUNK_ROWS) {
          const end = Math.min(rows, start + CHUNK_ROWS - 1);
          await conn.query(fill[table](`seq_${start}_to_${end}`));
        }
      onTable?.(table, rows);
    }
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
  }
}
