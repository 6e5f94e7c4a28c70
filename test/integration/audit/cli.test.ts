import mysql from 'mysql2/promise';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../../../src/audit/audit-store';
import { runAuditCli, type CliIo } from '../../../src/audit/cli';
import { OpsdeckConfig } from '../../../src/config/schema';
import { createTestDatabase, MYSQL, LOCAL_MYSQL_TLS } from '../../helpers/services';

let db: { name: string; drop: () => Promise<void> };
let config: OpsdeckConfig;
const T0 = Date.parse('2025-11-21T16:00:00Z');

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: {},
    now: () => T0 + 3_600_000,
  };
  const code = await runAuditCli(argv, config, io);
  return { code, out, err };
}

beforeAll(async () => {
  db = await createTestDatabase('audit_cli');
  config = OpsdeckConfig.parse({
    mysql: { port: MYSQL.port, database: db.name, tls: LOCAL_MYSQL_TLS },
  });
});

afterAll(() => db.drop());

it('migrates, verifies, exports, and names a broken row', async () => {
  expect(await run('migrate')).toMatchObject({ code: 0, out: 'applied migrations 1\n' });
  expect(await run('verify')).toMatchObject({ code: 0, out: 'audit chain ok: no rows yet\n' });
  const store = AuditStore.fromConfig(config, {});
  const job = { jobId: 'ping-0123456789', command: 'ops ping' };
  await store.append({ type: 'requested', at: T0, actor: { id: 'U1', name: 'alice' }, ...job });
  await store.append({
    type: 'started',
    at: T0 + 1000,
    actor: { id: 'U1', name: 'alice' },
    ...job,
  });
  await store.append({
    type: 'succeeded',
    at: T0 + 2000,
    actor: { id: 'U1', name: 'alice' },
    ...job,
  });
  await store.append({
    type: 'denied',
    at: T0 + 3000,
    actor: { id: 'U2', name: 'bob' },
    command: 'drop-db',
  });
  await store.close();

  expect((await run('verify')).out).toMatch(
    /^audit chain ok: 4 rows, head seq 4 hash [0-9a-f]{64}\n$/,
  );

  const md = await run('export', '--since', '2025-11-21', '--until', 'now', '--actor', 'alice');
  expect(md.code).toBe(0);
  expect(md.out).toContain('## ops ping: succeeded');
  expect(md.out).not.toContain('drop-db');

  const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  const file = join(dir, 'out.csv');
  expect((await run('export', '--since', '2h', '--format', 'csv', '--output', file)).code).toBe(0);
  expect(readFileSync(file, 'utf8').trim().split('\r\n')).toHaveLength(5);
  const json = await run('export', '--since', '2h', '--command', 'drop-db', '--format', 'json');
  expect(JSON.parse(json.out)).toMatchObject({
    jobs: [],
    other: [{ type: 'denied', actorName: 'bob' }],
  });

  const admin = await mysql.createConnection({ ...MYSQL, database: db.name });
  await admin.query("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 2");
  await admin.end();
  const broken = await run('verify');
  expect(broken.code).toBe(1);
  expect(broken.out).toMatch(
    /^audit chain BROKEN after 1 good rows: row 2 \(event [0-9a-f-]+\) was edited/,
  );
});

it('answers wrong usage with exit 2 and the usage text', async () => {
  for (const argv of [
    [],
    ['frobnicate'],
    ['export'],
    ['export', '--since', 'yesterday'],
    ['export', '--since', '1h', '--format', 'pdf'],
    ['export', '--since', '1h', '--until', '2h'],
    ['verify', '--since', '1h'],
    ['export', '--since', '1h', '--bogus'],
  ]) {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain('usage: opsdeck audit verify');
  }
});

it('exits 1 with a clear message when the store is unreachable', async () => {
  const saved = config;
  config = OpsdeckConfig.parse({
    mysql: { port: 1, database: db.name, tls: LOCAL_MYSQL_TLS },
    audit: { connectTimeoutMs: 500 },
  });
  const result = await run('verify');
  config = saved;
  expect(result.code).toBe(1);
  expect(result.err).toMatch(/^opsdeck audit: audit store read failed: .*ECONNREFUSED/);
});
