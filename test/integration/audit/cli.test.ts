import mysql from 'mysql2/promise';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAnchoring } from '../../../src/audit/anchor/anchoring';
import { keyIdOf, loadSigningKey, parsePublicKey } from '../../../src/config/audit-signing-key';
import { AuditStore } from '../../../src/audit/audit-store';
import { runAuditCli, type CliIo } from '../../../src/audit/cli';
import { OpsdeckConfig } from '../../../src/config/schema';
import { testSigningKey } from '../../helpers/audit-digests';
import {
  connectRedis,
  createTestDatabase,
  deleteRedisPrefix,
  LOCAL_MYSQL_TLS,
  MYSQL,
  uniqueName,
} from '../../helpers/services';

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
  expect(await run('verify')).toMatchObject({
    code: 0,
    out: expect.stringMatching(/^audit chain ok: no rows yet\nnot anchored \(no audit.anchor/),
  });
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
    /^audit chain ok: 4 rows, head seq 4 hash [0-9a-f]{64}\nnot anchored \(no audit.anchor in the config\): rows deleted from the end, or a chain recomputed after an edit, cannot be detected\n$/,
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
    ['keygen', '--since', '1h'],
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

describe('keygen', () => {
  it('prints a matching pair: the private key for the environment, the public one for the config', async () => {
    const { code, out } = await run('keygen');
    expect(code).toBe(0);
    const privateKey = /^OPSDECK_AUDIT_SIGNING_KEY=(\S+)$/m.exec(out)![1]!;
    const publicKey = /^ {4}publicKey: (\S+) # key ([0-9a-f]{16})$/m.exec(out)!;
    const configured = parsePublicKey(publicKey[1]!, 'printed');
    expect(keyIdOf(configured)).toBe(publicKey[2]);
    expect(loadSigningKey({ K: privateKey }, 'K', configured).keyId).toBe(publicKey[2]);
  });

  it('writes the private key to a new file only its owner can read, never over another', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keygen-')), 'audit.key');
    const first = await run('keygen', '--output', file);
    expect(first.code).toBe(0);
    expect(first.out).not.toContain(readFileSync(file, 'utf8').trim());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await run('keygen', '--output', file);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/EEXIST/);
  });
});

describe('verify with audit.anchor', () => {
  const key = testSigningKey();
  const redis = connectRedis();
  const redisPrefix = uniqueName('cli_anchor');
  const digests = mkdtempSync(join(tmpdir(), 'cli-digests-'));

  afterAll(async () => {
    await deleteRedisPrefix(redis, redisPrefix);
    redis.disconnect();
  });

  it('checks the rows against the signed digests and says what is not anchored yet', async () => {
    const saved = config;
    config = OpsdeckConfig.parse({
      mysql: { port: MYSQL.port, database: db.name, tls: LOCAL_MYSQL_TLS },
      redis: { prefix: redisPrefix },
      audit: {
        table: 'anchored_events',
        anchor: { publicKey: key.publicKeyText, sink: { directory: digests }, prefix: 'trail' },
      },
    });
    const store = AuditStore.fromConfig(config, {});
    await store.migrate();
    const anchoring = createAnchoring({
      config,
      env: { OPSDECK_AUDIT_SIGNING_KEY: key.privateKeyText },
      redis,
      outbox: { enqueue: async () => undefined },
      auditStore: store,
      auditWriter: { flush: async () => true },
      s3: () => {
        throw new Error('no S3 here');
      },
      logger: pino({ level: 'silent' }),
    })!;
    try {
      expect((await run('verify')).out).toBe(
        'audit trail ok: no rows yet\nno digest yet in ' + join(digests, 'trail') + '/\n',
      );
      for (let i = 0; i < 3; i++) {
        await store.append({ type: 'requested', at: T0 + i, actor: { id: 'U1' }, command: 'x' });
      }
      expect(await anchoring.writer.anchor('job-end')).toMatchObject({ kind: 'written' });
      await store.append({ type: 'denied', at: T0 + 10, actor: { id: 'U2' }, command: 'y' });
      const ok = await run('verify');
      expect(ok.code).toBe(0);
      expect(ok.out.split('\n')).toEqual([
        expect.stringMatching(/^audit trail ok: 4 rows, head seq 4 hash [0-9a-f]{64}$/),
        expect.stringMatching(
          new RegExp(
            `^anchored by 1 digests in \\S+/trail/, signed by key ${key.keyId}; the last, \\S+, anchors row 3$`,
          ),
        ),
        'not yet anchored: 1 rows after row 3 (nothing outside the database vouches for them until the next digest)',
        '',
      ]);

      const admin = await mysql.createConnection({ ...MYSQL, database: db.name });
      await admin.query('DELETE FROM anchored_events WHERE seq >= 3');
      await admin.end();
      const broken = await run('verify');
      expect(broken.code).toBe(1);
      expect(broken.out).toMatch(
        /^audit trail BROKEN: digest trail\/\S+ \(\S+\) anchors row 3, but the trail ends at row 2: row 3 was deleted \[anchored-rows-deleted\]\nchecked 1 digests in /,
      );
    } finally {
      config = saved;
      await store.close();
    }
  });
});
