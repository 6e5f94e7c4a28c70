import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  describeFilters,
  readReplicationFilters,
  setWildIgnoreTables,
} from '../../../src/mysql/replication-filters';
import { readServerFlavor, type ServerFlavor } from '../../../src/mysql/server-flavor';
import {
  startStandaloneServer,
  type StandaloneServer,
} from '../../../devkit/sandbox/standalone-server';
import { RDS_TABLES_RULE, skipsRdsTables } from '../../../src/seed/replica-filter-checks';
import { standaloneTls } from '../../helpers/replication';

/** The filters of a real MariaDB, read and changed at runtime (a server of its own: they are global). */
let dir: string;
let server: StandaloneServer;
let pool: mysql.Pool;
let flavor: ServerFlavor;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsdeck-filters-'));
  const admin = { user: 'opsdeck', password: 'filters-admin-pw' };
  server = await startStandaloneServer({ dataDir: dir, serverId: 4343, admin });
  pool = mysql.createPool({ ...standaloneTls(server), ...admin, connectionLimit: 1 });
  flavor = await readServerFlavor(pool);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

it('a fresh server has no filters and lets RDS tables through', async () => {
  const filters = await readReplicationFilters(pool, flavor);
  expect(describeFilters(filters)).toBe('none');
  expect(skipsRdsTables(filters)).toBe(false);
});

it('adding the RDS rule keeps the rules already there, and reads back byte for byte', async () => {
  await setWildIgnoreTables(pool, flavor, ['old%.%']);
  const before = await readReplicationFilters(pool, flavor);
  expect(before.wildIgnoreTable).toEqual(['old%.%']);
  await setWildIgnoreTables(pool, flavor, [...before.wildIgnoreTable, RDS_TABLES_RULE]);
  const after = await readReplicationFilters(pool, flavor);
  expect(after.wildIgnoreTable).toEqual(['old%.%', 'mysql.rds\\_%']);
  expect(skipsRdsTables(after)).toBe(true);
  expect(describeFilters(after)).toBe('replicate-wild-ignore-table=old%.%,mysql.rds\\_%');
});

it('the server refuses a filter change while its SQL thread runs: a coded error, filters unchanged', async () => {
  await pool.query(
    "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=9, MASTER_USER='nobody', MASTER_USE_GTID=no",
  );
  await pool.query('START SLAVE SQL_THREAD');
  try {
    await expect(setWildIgnoreTables(pool, flavor, [])).rejects.toMatchObject({
      code: 'OPSDECK_REPLICATION_STATEMENT_FAILED',
      message: expect.stringMatching(/^setting replicate_wild_ignore_table failed: .*errno 1198/),
    });
    expect((await readReplicationFilters(pool, flavor)).wildIgnoreTable).toHaveLength(2);
  } finally {
    await pool.query('STOP SLAVE');
    await pool.query('RESET SLAVE ALL');
  }
});
