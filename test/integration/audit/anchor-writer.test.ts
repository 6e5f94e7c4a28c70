import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import { AnchorWriter, type AnchorOutcome } from '../../../src/audit/anchor/anchor-writer';
import { parseDigest, type SignedDigest } from '../../../src/audit/anchor/digest';
import { DirectoryDigestSink } from '../../../src/audit/anchor/directory-digest-sink';
import type { DigestSink } from '../../../src/audit/anchor/digest-sink';
import { S3DigestSink } from '../../../src/audit/anchor/s3-digest-sink';
import { verifyTrail } from '../../../src/audit/anchor/verify-trail';
import { AuditStore } from '../../../src/audit/audit-store';
import { GENESIS_HASH } from '../../../src/audit/hash-chain';
import { OpsdeckConfig } from '../../../src/config/schema';
import { ErrorCode } from '../../../src/errors';
import { signDigestChain, testSigningKey } from '../../helpers/audit-digests';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox';
import {
  connectRedis,
  createTestDatabase,
  deleteRedisPrefix,
  localMysqlSection,
  MYSQL,
  uniqueName,
} from '../../helpers/services';

const PREFIX = 'digests';
const HOUR = 3_600_000;
const key = testSigningKey();
const redis = connectRedis();
const redisPrefix = uniqueName('anchor');
let db: { name: string; drop: () => Promise<void> };
let admin: mysql.Connection;
const stores: AuditStore[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('audit_anchor');
  admin = await mysql.createConnection({ ...MYSQL, database: db.name });
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await admin.end();
  await db.drop();
  await deleteRedisPrefix(redis, redisPrefix);
  redis.disconnect();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function trail(start = Date.parse('2025-11-21T16:00:00Z'), table = uniqueName('t')) {
  const config = OpsdeckConfig.parse({
    mysql: localMysqlSection(db.name),
    audit: { table },
  });
  const store = AuditStore.fromConfig(config, {});
  stores.push(store);
  await store.migrate();
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-digests-'));
  dirs.push(dir);
  const sink = new DirectoryDigestSink(dir, PREFIX);
  let now = start;
  const announced: { digest: SignedDigest; name: string }[] = [];
  const writer = (overrides: { sink?: DigestSink } = {}) =>
    new AnchorWriter({
      store,
      sink: overrides.sink ?? sink,
      key,
      prefix: PREFIX,
      redis,
      redisPrefix,
      intervalMs: HOUR,
      now: () => now,
      announce: async (digest, name) => {
        announced.push({ digest, name });
      },
    });
  let n = 0;
  const append = async (count: number) => {
    for (let i = 0; i < count; i++) {
      n += 1;
      await store.append({ type: 'step-finished', at: now, command: 'ops ping', step: `s${n}` });
    }
  };
  const verify = async () =>
    verifyTrail({
      rows: store.rowsInOrder(),
      sink,
      publicKey: key.publicKey,
      trail: store.trail,
      prefix: PREFIX,
      now,
      intervalMs: HOUR,
    });
  return {
    table,
    store,
    sink,
    dir,
    writer,
    append,
    verify,
    announced,
    advance: (ms: number) => (now += ms),
  };
}

const written = (outcome: AnchorOutcome) => {
  if (outcome.kind !== 'written') throw new Error(`expected a digest, got ${outcome.kind}`);
  return outcome;
};

describe('AnchorWriter', () => {
  it('chains digests of the head: once per new head at a job end, a heartbeat per interval', async () => {
    const t = await trail();
    const writer = t.writer();
    const first = written(await writer.anchor('interval'));
    expect(first.digest).toMatchObject({ seq: 0, hash: GENESIS_HASH, previous: null });
    expect(first.headMoved).toBe(true);
    await t.append(3);
    t.advance(1000);
    const second = written(await writer.anchor('job-end'));
    const head = (await t.store.rowAt(3))!;
    expect(second.digest).toMatchObject({
      seq: 3,
      hash: head.hash,
      trail: t.store.trail,
      keyId: key.keyId,
      previous: { name: first.name },
    });
    expect(second.name).toBe(`${PREFIX}/2025/11/21/20251121T160001.000Z-000000000003.json`);
    // Nothing new: a job end writes nothing, nor an interval tick before the interval is over.
    expect(await writer.anchor('job-end')).toEqual({ kind: 'unchanged', name: second.name });
    t.advance(HOUR / 2);
    expect((await writer.anchor('interval')).kind).toBe('unchanged');
    t.advance(HOUR / 2);
    const heartbeat = written(await writer.anchor('interval'));
    expect(heartbeat.digest).toMatchObject({ seq: 3, hash: head.hash });
    expect(heartbeat.headMoved).toBe(false);
    // Only a moved head is announced.
    expect(t.announced.map((a) => a.name)).toEqual([first.name, second.name]);
    expect(await t.sink.list()).toEqual([first.name, second.name, heartbeat.name]);
    expect(await t.verify()).toMatchObject({ ok: true, digests: 3, unanchored: 0 });
  });

  it('never lets two processes fork the digest chain', async () => {
    const t = await trail();
    await t.append(2);
    const results = await Promise.all([t.writer().anchor('job-end'), t.writer().anchor('job-end')]);
    expect(results.map((r) => r.kind).sort()).toEqual(['busy', 'written']);
    // The one that found the lock taken tries again: the head is anchored already.
    expect((await t.writer().anchor('job-end')).kind).toBe('unchanged');
    await t.append(1);
    t.advance(10);
    const more = await Promise.all([1, 2, 3].map(() => t.writer().anchor('job-end')));
    expect(more.filter((r) => r.kind === 'written')).toHaveLength(1);
    expect(await t.verify()).toMatchObject({ ok: true, digests: 2, unanchored: 0 });
  });

  it('follows a digest that reached the sink but not Redis (a crash in between)', async () => {
    const t = await trail();
    await t.append(2);
    const landed = written(await t.writer().anchor('job-end'));
    await redis.del(`${redisPrefix}:audit:anchor:${t.store.trail}:last`);
    await t.append(1);
    t.advance(10);
    const next = written(await t.writer().anchor('job-end'));
    expect(next.digest.previous?.name).toBe(landed.name);
    expect((await t.verify()).ok).toBe(true);
  });

  it('ignores a digest planted in the sink with another key, which verify then names', async () => {
    const t = await trail();
    await t.append(2);
    const own = written(await t.writer().anchor('job-end'));
    const rows = [];
    for await (const row of t.store.rowsInOrder()) rows.push(row);
    const [planted] = await signDigestChain({
      sink: t.sink,
      rows,
      heads: [2],
      key: testSigningKey(),
      prefix: PREFIX,
      trail: t.store.trail,
      t0: Date.parse('2025-11-21T16:30:00Z'),
      previous: null,
    });
    await t.append(1);
    t.advance(HOUR);
    const next = written(await t.writer().anchor('job-end'));
    expect(next.digest.previous?.name).toBe(own.name);
    expect((await t.verify()).problem).toMatchObject({
      kind: 'digest-forged',
      message: expect.stringContaining(planted!),
    });
  });

  it('signs nothing once the rows no longer extend the last digest', async () => {
    const t = await trail();
    await t.append(4);
    written(await t.writer().anchor('job-end'));
    await t.append(1);
    await admin.query(`UPDATE \`${t.table}\` SET actor_name = 'mallory' WHERE seq = 5`);
    await expect(t.writer().anchor('job-end')).rejects.toMatchObject({
      code: ErrorCode.AuditAnchorRefused,
      message: expect.stringMatching(/the chain breaks: row 5 \(event \S+\) was edited/),
    });
    await admin.query(`DELETE FROM \`${t.table}\` WHERE seq >= 3`);
    await expect(t.writer().anchor('interval')).rejects.toMatchObject({
      code: ErrorCode.AuditAnchorRefused,
      message: expect.stringMatching(
        /row 4, the head signed by digest \S+, is gone: rows were deleted/,
      ),
    });
    expect(await t.sink.list()).toHaveLength(1);
  });

  it('writes a digest file once, read-only, and takes a retried write of the same bytes', async () => {
    const t = await trail();
    await t.append(1);
    const outcome = written(await t.writer().anchor('job-end'));
    const bytes = await t.sink.get(outcome.name);
    await expect(t.sink.put(outcome.name, bytes)).resolves.toBeUndefined();
    await expect(t.sink.put(outcome.name, Buffer.from('{}'))).rejects.toMatchObject({
      code: ErrorCode.AuditDigestSinkFailed,
      message: expect.stringContaining('already exists with other content'),
    });
    const files = readdirSync(join(t.dir, PREFIX), { recursive: true }) as string[];
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('AnchorWriter with an S3 bucket (sandbox, Object Lock)', () => {
  let sandbox: TestSandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    await sandbox.clients.s3.send(
      new CreateBucketCommand({ Bucket: 'audit-digests', ObjectLockEnabledForBucket: true }),
    );
  });
  afterAll(() => sandbox.dispose());

  it('puts locked digests that nobody can delete, and verifies them back', async () => {
    const sink = new S3DigestSink(sandbox.clients.s3, {
      bucket: 'audit-digests',
      prefix: PREFIX,
      objectLock: { mode: 'COMPLIANCE', retainDays: 30 },
    });
    // Object Lock wants a retention date in the future: digests of the real present.
    const t = await trail(Date.now());
    await t.append(2);
    const outcome = written(await t.writer({ sink }).anchor('job-end'));
    const object = await sandbox.clients.s3.send(
      new GetObjectCommand({ Bucket: 'audit-digests', Key: outcome.name }),
    );
    expect(object.ObjectLockMode).toBe('COMPLIANCE');
    expect(object.ObjectLockRetainUntilDate!.getTime()).toBe(
      Date.parse(outcome.digest.at) + 30 * 24 * HOUR,
    );
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(parseDigest(bytes)).toEqual({ digest: outcome.digest });
    await expect(
      sandbox.clients.s3.send(
        new DeleteObjectCommand({ Bucket: 'audit-digests', Key: outcome.name }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    // A retry of a write that landed (If-None-Match: * answers 412) is a success.
    await expect(
      sink.put(outcome.name, bytes, new Date(outcome.digest.at)),
    ).resolves.toBeUndefined();
    await expect(
      sink.put(outcome.name, Buffer.from('{}'), new Date(outcome.digest.at)),
    ).rejects.toMatchObject({
      message: expect.stringContaining('already exists with other content'),
    });
    const result = await verifyTrail({
      rows: t.store.rowsInOrder(),
      sink,
      publicKey: key.publicKey,
      trail: t.store.trail,
      prefix: PREFIX,
      now: Date.parse(outcome.digest.at),
      intervalMs: HOUR,
    });
    expect(result).toMatchObject({ ok: true, digests: 1, unanchored: 0 });
  });
});
