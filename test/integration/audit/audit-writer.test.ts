import { createServer } from 'node:net';
import type IORedis from 'ioredis';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { prepareEvent } from '../../../src/audit/audit-event';
import { AuditStore } from '../../../src/audit/audit-store';
import {
  AUDIT_DOWN_MESSAGE,
  AuditWriter,
  SPOOL_LOCK_TTL_MS,
} from '../../../src/audit/audit-writer';
import { verifyChain } from '../../../src/audit/verify-chain';
import { OpsdeckConfig } from '../../../src/config/schema';
import { ErrorCode } from '../../../src/errors';
import {
  connectRedis,
  createTestDatabase,
  deleteRedisPrefix,
  MYSQL,
  testSigner,
  uniqueName,
  LOCAL_MYSQL_TLS,
} from '../../helpers/services';

const prefix = uniqueName('auditw');
const user = uniqueName('auditw').slice(0, 32);
const password = 'writer-test-password';
const logger = pino({ level: 'silent' });
let db: { name: string; drop: () => Promise<void> };
let root: mysql.Connection;
let redis: IORedis;
const cleanups: (() => Promise<unknown>)[] = [];

function writerFor(
  port: number,
  account: { user: string; passwordEnv?: string },
  keyPrefix: string,
) {
  const config = OpsdeckConfig.parse({
    mysql: { host: MYSQL.host, port, user: MYSQL.user, database: db.name, tls: LOCAL_MYSQL_TLS },
    audit: { ...account, connectTimeoutMs: 3000, queryTimeoutMs: 2000 },
  });
  const store = AuditStore.fromConfig(config, { AUDIT_PW: password });
  const writer = new AuditWriter(store, redis, {
    prefix: keyPrefix,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 100,
    logger,
    signer: testSigner(),
  });
  cleanups.push(
    () => writer.stop(),
    () => store.close(),
  );
  return { store, writer };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  redis = connectRedis();
  db = await createTestDatabase('audit_writer');
  root = await mysql.createConnection(MYSQL);
  const admin = AuditStore.fromConfig(
    OpsdeckConfig.parse({ mysql: { port: MYSQL.port, database: db.name, tls: LOCAL_MYSQL_TLS } }),
    {},
  );
  await admin.migrate();
  await admin.close();
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
  await root.query(`GRANT SELECT, INSERT ON \`${db.name}\`.audit_events TO ?@?`, [user, '%']);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await root.query('DROP USER IF EXISTS ?@?', [user, '%']);
  await root.end();
  await db.drop();
  await deleteRedisPrefix(redis, prefix);
  await redis.quit();
});

const change = {
  type: 'requested',
  command: 'restore-table',
  actor: { id: 'U1', name: 'alice' },
} as const;

describe('with the audit database unreachable (closed port)', () => {
  it('refuses changing commands with a clear message, lets read-only ones through, spools both', async () => {
    const { writer } = writerFor(await closedPort(), { user: MYSQL.user }, `${prefix}:closed`);
    expect(await writer.admit(change, { readOnly: false })).toEqual({
      admitted: false,
      message: AUDIT_DOWN_MESSAGE,
    });
    expect(await writer.admit({ ...change, command: 'ops status' }, { readOnly: true })).toEqual({
      admitted: true,
    });
    expect(await writer.spoolDepth()).toBe(2);
    await expect(writer.ensureWritable()).rejects.toMatchObject({
      code: ErrorCode.AuditUnavailable,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(writer.health()).toMatchObject({
      writable: false,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('keeps job events in the spool, never dropping them', async () => {
    const { writer } = writerFor(await closedPort(), { user: MYSQL.user }, `${prefix}:closed2`);
    await writer.recordJobEvent({ type: 'step-started', jobId: 'j', step: 'copy' });
    await writer.recordJobEvent({ type: 'step-finished', jobId: 'j', step: 'copy' });
    expect(await writer.flush(300)).toBe(false);
    expect(await writer.spoolDepth()).toBe(2);
  });
});

describe('with an audit database that accepts connections and never answers', () => {
  it('answers within the time limit: changing refused, read-only admitted; both spooled later', async () => {
    const silent = createServer(() => undefined); // accepts, never sends the MySQL handshake
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const { port } = silent.address() as { port: number };
    const { writer } = writerFor(port, { user: MYSQL.user }, `${prefix}:silent`);
    const started = Date.now();
    expect(await writer.admit(change, { readOnly: false, timeoutMs: 200 })).toEqual({
      admitted: false,
      message: AUDIT_DOWN_MESSAGE,
    });
    expect(
      await writer.admit({ ...change, command: 'ops jobs' }, { readOnly: true, timeoutMs: 200 }),
    ).toEqual({ admitted: true });
    // Well before the connect timeout (3 s): the answer came from the 200 ms admit budget.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(writer.health()).toMatchObject({ writable: false });
    // The connect timeout (3 s) ends both appends; their events go to the spool.
    await waitForDepth(writer, 2);
  });
});

/**
 * Waits for the spool to hold `depth` events. Each append ends at the 3 s connect timeout, one
 * after the other on a busy machine: allow far more than that (a CI run once took over 10 s).
 */
async function waitForDepth(writer: AuditWriter, depth: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await writer.spoolDepth()) < depth) {
    if (Date.now() > deadline) throw new Error(`spool never reached ${depth}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('with INSERT revoked, then granted again', () => {
  it('refuses while writes fail, then writes every spooled event once, in order', async () => {
    const { store, writer } = writerFor(
      MYSQL.port,
      { user, passwordEnv: 'AUDIT_PW' },
      `${prefix}:revoke`,
    );
    writer.start();
    expect(await writer.admit({ ...change, jobId: 'job-r' }, { readOnly: false })).toEqual({
      admitted: true,
    });
    await writer.ensureWritable();

    await root.query(`REVOKE INSERT ON \`${db.name}\`.audit_events FROM ?@?`, [user, '%']);
    expect((await writer.admit({ ...change, jobId: 'job-x' }, { readOnly: false })).admitted).toBe(
      false,
    );
    for (const step of ['a', 'b', 'c']) {
      await writer.recordJobEvent({ type: 'step-started', jobId: 'job-r', step });
    }
    // SELECT still works, but a write failed: not writable.
    await expect(writer.ensureWritable()).rejects.toMatchObject({
      code: ErrorCode.AuditUnavailable,
    });
    expect(await writer.spoolDepth()).toBe(4);

    await root.query(`GRANT INSERT ON \`${db.name}\`.audit_events TO ?@?`, [user, '%']);
    expect(await writer.flush(5000)).toBe(true);
    await writer.ensureWritable();
    expect(writer.health().writable).toBe(true);
    const job = await store.jobEvents('job-r');
    expect(job.map((row) => row.step ?? row.type)).toEqual(['requested', 'a', 'b', 'c']);
    expect(await store.jobEvents('job-x')).toHaveLength(1); // the refused request is on record too
    expect(await verifyChain(store.rowsInOrder())).toMatchObject({ ok: true });
  });
});

describe('with entries pushed into the spool by someone without the key', () => {
  it('writes a refused row in place of each forged or edited entry, never the entry itself', async () => {
    const keyPrefix = `${prefix}:forged`;
    const { store, writer } = writerFor(MYSQL.port, { user: MYSQL.user }, keyPrefix);
    const spool = `${keyPrefix}:audit:spool`;
    await writer.recordJobEvent({ type: 'started', jobId: 'job-f', actor: { id: 'U1' } });
    const [signed] = await redis.lrange(spool, 0, 0);
    const edited = JSON.parse(signed!) as { event: { actorId: string } };
    edited.event.actorId = 'U0MALLORY';
    await redis.rpush(
      spool,
      JSON.stringify(edited),
      JSON.stringify({ event: { ...edited.event, eventId: 'evt-forged', jobId: 'job-f2' } }),
      'not json',
    );
    writer.start();
    expect(await writer.flush(5000)).toBe(true);
    expect((await store.jobEvents('job-f')).map((r) => [r.type, r.actorId])).toEqual([
      ['started', 'U1'],
    ]);
    expect(await store.jobEvents('job-f2')).toEqual([]);
    const refused = (await store.query({})).filter(
      (r) => r.type === 'refused' && r.detailJson?.includes('audit spool'),
    );
    expect(refused.map((r) => JSON.parse(r.detailJson!) as { reason: string })).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('does not match its content') }),
      expect.objectContaining({ reason: expect.stringContaining('carries no MAC') }),
      expect.objectContaining({ reason: expect.stringContaining('carries no MAC') }),
    ]);
    expect(await verifyChain(store.rowsInOrder())).toMatchObject({ ok: true });
  });
});

describe('with its connections killed', () => {
  it('retries job events until they are written', async () => {
    const { store, writer } = writerFor(
      MYSQL.port,
      { user, passwordEnv: 'AUDIT_PW' },
      `${prefix}:kill`,
    );
    writer.start();
    await writer.recordJobEvent({ type: 'started', jobId: 'job-k' });
    expect(await writer.flush(5000)).toBe(true);
    const [rows] = await root.query<mysql.RowDataPacket[]>(
      'SELECT id FROM information_schema.PROCESSLIST WHERE user = ?',
      [user],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) await root.query(`KILL ${Number(row.id)}`);
    for (let i = 0; i < 5; i++)
      await writer.recordJobEvent({ type: 'step-started', jobId: 'job-k', step: `s${i}` });
    expect(await writer.flush(5000)).toBe(true);
    expect((await store.jobEvents('job-k')).map((r) => r.step ?? r.type)).toEqual([
      'started',
      's0',
      's1',
      's2',
      's3',
      's4',
    ]);
  });

  it('does not write an event twice when a drainer died after writing it', async () => {
    const keyPrefix = `${prefix}:dup`;
    const { store, writer } = writerFor(MYSQL.port, { user: MYSQL.user }, keyPrefix);
    const event = {
      type: 'cleanup',
      jobId: 'job-d',
      step: 'revoke',
      eventId: 'evt-dup-1',
    } as const;
    await store.append(event);
    await redis.rpush(
      `${keyPrefix}:audit:spool`,
      JSON.stringify(prepareEvent({ ...event, at: Date.now() })),
    );
    expect(await writer.flush(5000)).toBe(true);
    expect(await store.jobEvents('job-d')).toHaveLength(1);
  });

  it('takes the spool over from a drainer killed while it held the lock, within the lock time', async () => {
    const keyPrefix = `${prefix}:dead`;
    const { store, writer } = writerFor(MYSQL.port, { user: MYSQL.user }, keyPrefix);
    writer.start();
    // A worker SIGKILLed while draining: its lock stays, as it set it.
    await redis.set(`${keyPrefix}:audit:spool:lock`, 'dead-process', 'PX', SPOOL_LOCK_TTL_MS);
    await writer.recordJobEvent({ type: 'succeeded', jobId: 'job-dead' });
    expect(await writer.flush(SPOOL_LOCK_TTL_MS + 5000)).toBe(true);
    expect((await store.jobEvents('job-dead')).map((r) => r.type)).toEqual(['succeeded']);
    // The lock is short: a killed worker delayed the next one's events by seconds, not 30 s.
    expect(SPOOL_LOCK_TTL_MS).toBeLessThanOrEqual(5000);
  });
});
