import { createServer } from 'node:net';
import mysql from 'mysql2/promise';
import { prepareEvent } from '../../../src/audit/audit-event';
import { AuditStore } from '../../../src/audit/audit-store';
import { AUDIT_MIGRATIONS } from '../../../src/audit/migrations';
import { verifyChain } from '../../../src/audit/verify-chain';
import { OpsdeckConfig } from '../../../src/config/schema';
import { ErrorCode } from '../../../src/errors';
import { createTestDatabase, MYSQL, LOCAL_MYSQL_TLS } from '../../helpers/services';

let db: { name: string; drop: () => Promise<void> };
let admin: mysql.Connection;
const stores: AuditStore[] = [];

function open(table = 'audit_events'): AuditStore {
  const config = OpsdeckConfig.parse({
    mysql: { ...MYSQL, database: db.name, tls: LOCAL_MYSQL_TLS },
    audit: { table },
  });
  const store = AuditStore.fromConfig(config, {});
  stores.push(store);
  return store;
}

beforeAll(async () => {
  db = await createTestDatabase('audit_store');
  admin = await mysql.createConnection({ ...MYSQL, database: db.name });
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await admin.end();
  await db.drop();
});

const T0 = 1_763_740_800_000;

async function fill(store: AuditStore, n: number) {
  for (let i = 0; i < n; i++) {
    await store.append({
      type: i === 0 ? 'requested' : 'step-finished',
      at: T0 + i * 1000,
      actor: { id: 'U1', name: 'alice' },
      command: 'restore-table',
      jobId: 'job-a',
      step: `s${i}`,
      detail: { i },
    });
  }
}

describe('migrations', () => {
  it('apply once, are recorded, and are idempotent across concurrent starts', async () => {
    const a = open('mig_events');
    const b = open('mig_events');
    const results = await Promise.all([a.migrate(), b.migrate()]);
    expect(results.flat()).toEqual([1]);
    expect(await a.migrate()).toEqual([]);
    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      'SELECT scope, version, name FROM schema_migrations WHERE scope = ?',
      ['audit:mig_events'],
    );
    expect(rows).toEqual([
      { scope: 'audit:mig_events', version: 1, name: AUDIT_MIGRATIONS[0]!.name },
    ]);
  });
});

describe('AuditStore', () => {
  it('appends a linear chain that verifies, and reads events back exactly', async () => {
    const store = open('chain_ok');
    await store.migrate();
    const weird = 'trailing space ; quotes \' " emoji 😀 and tab\t ';
    const row = await store.append({
      type: 'requested',
      at: T0,
      actor: { id: 'U1', name: weird },
      channel: { id: 'C1', name: 'ops' },
      command: 'restore-table',
      target: 'billing',
      args: { table: 'invoices', password: 'hunter2' },
    });
    expect(row).toMatchObject({
      seq: 1,
      prevHash: '0'.repeat(64),
      argsJson: '{"password":"[REDACTED]","table":"invoices"}',
    });
    await fill(store, 5);
    const back = await store.query({ since: T0, until: T0 + 1 });
    expect(back[0]).toEqual(row);
    expect(await verifyChain(store.rowsInOrder(2))).toMatchObject({
      ok: true,
      rows: 6,
      head: { seq: 6 },
    });
  });

  it('keeps the chain linear with many writers in several pools', async () => {
    const writers = [open('chain_par'), open('chain_par'), open('chain_par')];
    await writers[0]!.migrate();
    await Promise.all(
      writers.flatMap((store, w) =>
        Array.from({ length: 10 }, (_, i) =>
          store.append({ type: 'step-started', step: `w${w}-${i}` }),
        ),
      ),
    );
    expect(await verifyChain(writers[1]!.rowsInOrder())).toMatchObject({ ok: true, rows: 30 });
  });

  it('stores an event once however often it is appended (idempotent retry)', async () => {
    const store = open('chain_idem');
    await store.migrate();
    const first = await store.append({ type: 'started', eventId: 'evt-1', jobId: 'j' });
    const again = await store.append({ type: 'started', eventId: 'evt-1', jobId: 'j' });
    expect(again).toEqual(first);
    expect(await store.jobEvents('j')).toHaveLength(1);
  });

  it('filters by time, actor (id or name), command and job', async () => {
    const store = open('chain_query');
    await store.migrate();
    await store.append({
      type: 'requested',
      at: T0,
      actor: { id: 'U1', name: 'alice' },
      command: 'a',
      jobId: 'j1',
    });
    await store.append({
      type: 'approved',
      at: T0 + 5,
      actor: { id: 'U2', name: 'bob' },
      command: 'a',
      jobId: 'j1',
    });
    await store.append({
      type: 'denied',
      at: T0 + 10,
      actor: { id: 'U1', name: 'alice' },
      command: 'b',
    });
    const types = (rows: { type: string }[]) => rows.map((r) => r.type);
    expect(types(await store.query({ actor: 'alice' }))).toEqual(['requested', 'denied']);
    expect(types(await store.query({ actor: 'U2' }))).toEqual(['approved']);
    expect(types(await store.query({ command: 'a' }))).toEqual(['requested', 'approved']);
    expect(types(await store.query({ since: T0 + 5, until: T0 + 10 }))).toEqual(['approved']);
    expect(types(await store.jobEvents('j1'))).toEqual(['requested', 'approved']);
    expect(await store.query({ jobIds: [] })).toEqual([]);
  });
});

describe('verify against tampering in the database', () => {
  async function tampered(table: string, tamper: (t: string) => Promise<void>) {
    const store = open(table);
    await store.migrate();
    await fill(store, 6);
    await tamper(`\`${db.name}\`.\`${table}\``);
    return verifyChain(store.rowsInOrder());
  }

  it('names an edited row', async () => {
    const result = await tampered('t_edit', async (t) => {
      await admin.query(`UPDATE ${t} SET detail_json = '{"i":42}' WHERE seq = 4`);
    });
    expect(result).toMatchObject({ ok: false, rows: 3, broken: { seq: 4, kind: 'edited' } });
  });

  it('names the row after a deleted one', async () => {
    const result = await tampered('t_delete', async (t) => {
      await admin.query(`DELETE FROM ${t} WHERE seq = 3`);
    });
    expect(result).toMatchObject({
      ok: false,
      broken: { seq: 4, kind: 'deleted', message: expect.stringContaining('seq 3 missing') },
    });
  });

  it('names an inserted row', async () => {
    const result = await tampered('t_insert', async (t) => {
      await admin.query(`UPDATE ${t} SET seq = seq + 1 WHERE seq >= 3 ORDER BY seq DESC`);
      await admin.query(
        `INSERT INTO ${t} (seq, event_id, ts_ms, type, actor_id, prev_hash, hash) VALUES (3, 'forged', ?, 'approved', 'U666', ?, ?)`,
        [T0, 'a'.repeat(64), 'b'.repeat(64)],
      );
    });
    expect(result).toMatchObject({
      ok: false,
      broken: { seq: 3, eventId: 'forged', kind: 'inserted' },
    });
  });

  it('closes while a connection to an unreachable server is still being tried', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const store = AuditStore.fromConfig(
      OpsdeckConfig.parse({
        mysql: { host: '127.0.0.1', port, database: db.name, tls: LOCAL_MYSQL_TLS },
      }),
      {},
    );
    const probing = store.probe();
    await expect(store.close()).resolves.toBeUndefined();
    await expect(probing).rejects.toMatchObject({ code: ErrorCode.AuditUnavailable });
  });

  it('reports the store as unavailable, with a code, when the table is gone', async () => {
    const store = open('never_migrated');
    await expect(store.append({ type: 'started' })).rejects.toMatchObject({
      code: ErrorCode.AuditUnavailable,
    });
  });
});

describe('group commit', () => {
  it('writes a burst of concurrent appends as one valid chain, each event once', async () => {
    const store = open('burst_events');
    await store.migrate();
    const rows = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        store.append({
          type: 'requested',
          at: T0 + i,
          actor: { id: 'U1', name: 'alice' },
          command: 'ops ping',
          eventId: `burst-${i % 100}`,
        }),
      ),
    );
    // 100 distinct events (20 repeated ids return the row already written)
    expect(new Set(rows.map((r) => r.seq)).size).toBe(100);
    expect(rows[100]!.seq).toBe(rows[0]!.seq);
    const [count] = await admin.query<mysql.RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM burst_events',
    );
    expect(Number(count[0]!.n)).toBe(100);
    const stored = [];
    for await (const row of store.rowsInOrder()) stored.push(row);
    expect(await verifyChain(stored)).toMatchObject({ ok: true, rows: 100 });
  });

  it('fails only the bad event of a batch', async () => {
    const store = open('bad_batch_events');
    await store.migrate();
    const results = await Promise.allSettled([
      store.append({ type: 'requested', at: T0, command: 'ops ping' }),
      store.append({ type: 'requested', at: T0, command: 'ops ping' }),
      // past prepareEvent's truncation, as a corrupted spool entry would be: too long for its column
      store.appendPrepared({
        ...prepareEvent({ type: 'requested', at: T0 }),
        command: 'x'.repeat(500),
      }),
      store.append({ type: 'requested', at: T0, command: 'ops jobs' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      code: ErrorCode.AuditUnavailable,
    });
  });
});
