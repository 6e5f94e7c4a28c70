import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { runApply } from '../../helpers/restore-apply';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * `/restore-table`'s `apply` step on the real runbook and engine against the local MariaDB:
 * `replace` puts the swapped-in table's AUTO_INCREMENT above production's, `merge` refuses a
 * table with INSERT triggers unless `--fire-triggers`, and shows them in the plan when it fires them.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Connection;

async function rows(sql: string): Promise<RowDataPacket[]> {
  const [result] = await admin.query<RowDataPacket[]>(sql);
  return result;
}

beforeAll(async () => {
  db = await createTestDatabase('apply_modes');
  admin = await mysql.createConnection({ ...MYSQL, database: db.name, multipleStatements: true });
  await admin.query(
    // Restored at a point where orders 1-5 existed; production wrote 6-14 since and deleted 11-14:
    // its counter is at 15, its highest id 10.
    `CREATE TABLE orders (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20));
     CREATE TABLE orders__restored_20251121160000 LIKE orders;
     INSERT INTO orders__restored_20251121160000 (id, note) SELECT seq, CONCAT('old ', seq) FROM seq_1_to_5;
     INSERT INTO orders (id, note) SELECT seq, CONCAT('new ', seq) FROM seq_1_to_14;
     DELETE FROM orders WHERE id > 10;
     CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20));
     CREATE TABLE item_log (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT);
     CREATE TRIGGER items_log AFTER INSERT ON items FOR EACH ROW
       INSERT INTO item_log (item_id) VALUES (NEW.id);
     CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW SET NEW.name = NEW.name;
     CREATE TABLE items__restored_20251121160000 (id INT PRIMARY KEY, name VARCHAR(20));
     INSERT INTO items__restored_20251121160000 SELECT seq, CONCAT('item ', seq) FROM seq_1_to_20;
     INSERT INTO items VALUES (21, 'since');
     DELETE FROM item_log;`,
  );
}, 60_000);

afterAll(async () => {
  admin?.destroy();
  await db?.drop();
});

describe('replace', () => {
  it("sets the swapped-in table's AUTO_INCREMENT above production's counter, and says so", async () => {
    const job = runApply({
      schema: db.name,
      table: 'orders',
      sideTable: 'orders__restored_20251121160000',
      mode: 'replace',
    });
    const result = await job.result;
    expect(result.outcome).toBe('succeeded');
    expect(job.shown().join('\n')).toContain(
      "set the restored table's AUTO_INCREMENT above production's",
    );
    expect(job.said().join('\n')).toContain(
      `AUTO_INCREMENT of ${db.name}.orders set to 15 (production's counter was 15, its highest id 10): new rows never reuse an id of a row now in orders__before_20251121160000`,
    );
    // A new row takes an id no row of the old table ever had.
    await admin.query(`INSERT INTO orders (note) VALUES ('after the swap')`);
    expect(await rows(`SELECT id, note FROM orders WHERE id > 5`)).toEqual([
      { id: 15, note: 'after the swap' },
    ]);
    expect(await rows(`SELECT COUNT(*) AS n FROM orders__before_20251121160000`)).toEqual([
      { n: 10 },
    ]);
  }, 60_000);
});

describe('merge on a table with INSERT triggers', () => {
  const merge = (fireTriggers: boolean) =>
    runApply({
      schema: db.name,
      table: 'items',
      sideTable: 'items__restored_20251121160000',
      mode: 'merge',
      fireTriggers,
      comparison: { missing: 20, changed: 0, extra: 1 },
    });

  it('is refused without --fire-triggers: nothing inserted, no trigger fired', async () => {
    const job = merge(false);
    const result = await job.result;
    expect(result.outcome).toBe('failed');
    expect(result.error).toContain(
      `${db.name}.items has INSERT triggers (items_log (AFTER INSERT)): a merge would fire them once for every row it inserts. Add --fire-triggers to merge anyway`,
    );
    expect(result.error).toContain('Nothing was inserted.');
    expect(await rows('SELECT COUNT(*) AS n FROM items')).toEqual([{ n: 1 }]);
    expect(await rows('SELECT COUNT(*) AS n FROM item_log')).toEqual([{ n: 0 }]);
  }, 60_000);

  it('with --fire-triggers, the plan shows the triggers and the merge fires them per row', async () => {
    const job = merge(true);
    const result = await job.result;
    expect(result.outcome).toBe('succeeded');
    expect(job.shown().join('\n')).toContain(
      "the INSERT fires production's INSERT triggers once for every row (--fire-triggers): items_log (AFTER INSERT)",
    );
    expect(job.shown().join('\n')).not.toContain('items_touch');
    expect(job.said().join('\n')).toContain(`merged: inserted 20 rows into ${db.name}.items`);
    expect(await rows('SELECT COUNT(*) AS n FROM item_log')).toEqual([{ n: 20 }]);
  }, 60_000);
});
