import mysql, { type Pool } from 'mysql2/promise';
import type { DatabasesCheckpoint, TableCheckpoint } from '../../../src/mysql/databases-checkpoint';
import type { TableContentSums } from '../../../src/mysql/verify-databases';
import { checksumsAsTablesFinish } from '../../../src/seed/early-checksums';
import { createTestDatabase, MYSQL } from '../../helpers/services';

/**
 * The seed's checksums taken while the copy goes on: each finished (`indexed`) table once, both
 * sides, saved as they come; a resumed copy's sums are not taken again; a failure is reported and
 * left to the verify step. Two databases on the local MariaDB stand for the two servers.
 */
let source: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

const table = (state: TableCheckpoint['state']) => ({ state }) as TableCheckpoint;
const checkpoint = (tables: Record<string, TableCheckpoint>) =>
  ({ tables }) as unknown as DatabasesCheckpoint;

beforeAll(async () => {
  source = await createTestDatabase('early_sums');
  pool = mysql.createPool({ ...MYSQL, connectionLimit: 2 });
  for (const name of ['a', 'b', 'c']) {
    await pool.query(`CREATE TABLE \`${source.name}\`.${name} (id INT PRIMARY KEY, v INT)`);
    await pool.query(`INSERT INTO \`${source.name}\`.${name} VALUES (1, 1), (2, 2)`);
  }
});

afterAll(async () => {
  await pool.end();
  await source.drop();
});

it('checksums each finished table once, skips those taken before, and reports a failure', async () => {
  const saved: Record<string, TableContentSums>[] = [];
  const failed: string[] = [];
  const taken = { [`${source.name}.c`]: {} as TableContentSums };
  const sums = checksumsAsTablesFinish({
    source: pool,
    destination: pool,
    taken,
    signal: new AbortController().signal,
    save: async (all) => void saved.push(all),
    failed: (name) => void failed.push(name),
  });
  const db = source.name;
  sums.tablesFinished(checkpoint({ [`${db}.a`]: table('indexed'), [`${db}.b`]: table('loaded') }));
  sums.tablesFinished(
    checkpoint({
      [`${db}.a`]: table('indexed'),
      [`${db}.b`]: table('indexed'),
      [`${db}.c`]: table('indexed'),
      [`${db}.gone`]: table('indexed'),
    }),
  );
  await sums.done();
  expect(saved.map((all) => Object.keys(all).sort())).toEqual([
    [`${db}.a`, `${db}.c`],
    [`${db}.a`, `${db}.b`, `${db}.c`],
  ]);
  const a = saved[1]![`${db}.a`]!;
  expect(a.columns).toEqual(['id', 'v']);
  expect(a.source).toEqual(a.destination);
  expect(failed).toEqual([`${db}.gone`]);
});
