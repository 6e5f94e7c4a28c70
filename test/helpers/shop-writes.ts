import type { WriteMix, WriteStatement } from './write-load';
import type { ShopSizes } from './shop-data';

/**
 * The shop's application writes, for the write load: new orders through the place_order
 * procedure, payments (whose trigger marks the order paid), new customers, and UPDATEs of orders,
 * customers, order items and products. Rows are picked among the generated ones by a hash of the
 * write's sequence number, so a run is reproducible; `runId` keeps new customers' emails unique
 * across several loads on the same data.
 */
export function shopWriteMix(sizes: ShopSizes, runId: string): WriteMix {
  const writes: Array<(n: number, pick: (max: number) => number) => WriteStatement> = [
    (_n, pick) => ({
      sql: 'CALL place_order(?, ?, ?)',
      values: [pick(sizes.customers), pick(sizes.products), 1 + pick(3)],
    }),
    (n, pick) => ({
      sql: `INSERT INTO payments (order_id, method, amount_cents, reference, paid_at)
            VALUES (?, ?, ?, UNHEX(MD5(?)), NOW(3))`,
      values: [
        pick(sizes.orders),
        ['card', 'sepa', 'paypal'][n % 3],
        100 + pick(90_000),
        `${runId}-${n}`,
      ],
    }),
    (n, pick) => ({
      sql: 'UPDATE orders SET status = ?, updated_at = NOW(6) WHERE id = ?',
      values: [['shipped', 'cancelled'][n % 2], pick(sizes.orders)],
    }),
    (_n, pick) => ({
      sql: 'UPDATE customers SET last_seen_at = NOW(), visits = visits + 1 WHERE id = ?',
      values: [pick(sizes.customers)],
    }),
    (n) => ({
      sql: `INSERT INTO customers (email, name, country, created_at)
            VALUES (?, ?, 'DE', NOW())`,
      values: [`new-${runId}-${n}@example.com`, `New customer ${n}`],
    }),
    (_n, pick) => ({
      sql: 'UPDATE order_items SET quantity = quantity + 1 WHERE id = ?',
      values: [pick(sizes.orderItems)],
    }),
    (_n, pick) => ({
      sql: 'UPDATE products SET stock = stock - 1 WHERE id = ?',
      values: [pick(sizes.products)],
    }),
  ];
  // Weights, in writes per 20: orders 4, payments 3, order updates 4, customer updates 3,
  // new customers 1, item updates 3, stock updates 2.
  const slots = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5, 5, 5, 6, 6];
  return (sequence) => {
    const random = mulberry32(sequence);
    const pick = (max: number) => 1 + Math.floor(random() * max);
    const write = writes[slots[Math.floor(random() * slots.length)]!]!;
    return write(sequence, pick);
  };
}

/** A small seeded PRNG (values in [0, 1)). */
function mulberry32(seed: number): () => number {
  let state = (seed * 0x9e3779b1) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
