import mysql from 'mysql2/promise';
import { DeployHistory, type DeployStart } from '../../../src/deploy/deploy-history';
import { ErrorCode } from '../../../src/errors';
import { createTestDatabase, MYSQL } from '../../helpers/services';

let db: { name: string; drop: () => Promise<void> };
let history: DeployHistory;
const T0 = 1_763_740_800_000;
const alice = { id: 'U0ALICE', name: 'alice' };

const pools: mysql.Pool[] = [];

/** A history on a pool of its own, as each process has one. */
function open(): DeployHistory {
  const pool = mysql.createPool({ ...MYSQL, connectionLimit: 2 });
  pools.push(pool);
  return new DeployHistory(pool, { database: db.name, table: 'deploys' });
}

function start(jobId: string, overrides: Partial<DeployStart> = {}): DeployStart {
  return {
    jobId,
    kind: 'deploy',
    app: 'shop',
    env: 'production',
    ref: 'v1',
    actor: alice,
    startedAt: T0,
    hostsTotal: 3,
    ...overrides,
  };
}

const ok = (at: number) => ({
  finishedAt: at,
  outcome: 'succeeded' as const,
  hostsOk: ['web01', 'web02', 'web03'],
  hostsFailed: [],
  hostsNotRun: [],
});

beforeAll(async () => {
  db = await createTestDatabase('deploy_history');
  history = open();
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await db.drop();
});

describe('DeployHistory', () => {
  it('creates its table once through the shared migrations, concurrently safe', async () => {
    const other = open();
    const applied = await Promise.all([history.migrate(), other.migrate()]);
    expect(applied.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await history.migrate()).toEqual([]);
    const conn = await mysql.createConnection({ ...MYSQL, database: db.name });
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT scope, version FROM schema_migrations',
    );
    await conn.end();
    expect(rows.map((r) => `${r.scope}@${r.version}`).sort()).toEqual([
      'deploy:deploys@1',
      'deploy:deploys@2',
      'deploy:deploys@3',
      'deploy:deploys@4',
      'deploy:deploys@5',
    ]);
  });

  it('records start and finish idempotently by job id', async () => {
    await history.recordStart(start('job-1'));
    await history.recordStart(start('job-1', { ref: 'changed', startedAt: T0 + 5 }));
    expect(await history.get('job-1')).toMatchObject({
      ref: 'v1',
      startedAt: T0,
      finishedAt: null,
      outcome: null,
    });
    expect(
      await history.recordFinish('job-1', {
        finishedAt: T0 + 60_000,
        outcome: 'failed',
        hostsOk: ['web01'],
        hostsFailed: ['web02'],
        hostsNotRun: ['web03'],
      }),
    ).toBe('recorded');
    expect(await history.recordFinish('job-1', ok(T0 + 90_000))).toBe('already-finished');
    expect(await history.get('job-1')).toEqual({
      jobId: 'job-1',
      kind: 'deploy',
      app: 'shop',
      env: 'production',
      ref: 'v1',
      actor: alice,
      startedAt: T0,
      hostsTotal: 3,
      finishedAt: T0 + 60_000,
      outcome: 'failed',
      hostsOk: ['web01'],
      hostsFailed: ['web02'],
      hostsNotRun: ['web03'],
    });
    await expect(history.recordFinish('never-started', ok(T0))).rejects.toMatchObject({
      code: ErrorCode.DeployHistoryMissing,
    });
  });

  it('stores hostile values as data', async () => {
    const ref = `'; DROP TABLE deploys; -- $(touch x) "q" \\`;
    await history.recordStart(start('job-hostile', { ref, app: 'odd', env: 'x' }));
    expect((await history.get('job-hostile'))?.ref).toBe(ref);
    expect(await history.last('odd', 'x')).toHaveLength(1);
  });

  it('answers what is deployed where now: the last successful deploy per app+env', async () => {
    // shop/production: job-1 failed (above); job-2 ok; job-3 ok later; job-4 failed latest; job-5 running.
    await history.recordStart(start('job-2', { ref: 'v2', startedAt: T0 + 100_000 }));
    await history.recordFinish('job-2', ok(T0 + 160_000));
    await history.recordStart(start('job-3', { ref: 'v3', startedAt: T0 + 200_000 }));
    await history.recordFinish('job-3', ok(T0 + 260_000));
    await history.recordStart(start('job-4', { ref: 'v4', startedAt: T0 + 300_000 }));
    await history.recordFinish('job-4', { ...ok(T0 + 360_000), outcome: 'failed' });
    await history.recordStart(start('job-5', { ref: 'v5', startedAt: T0 + 400_000 }));
    await history.recordStart(start('job-s1', { env: 'staging', ref: 's1' }));
    await history.recordFinish('job-s1', ok(T0 + 10));
    await history.recordStart(start('job-api', { app: 'api', ref: 'a1' }));
    await history.recordFinish('job-api', { ...ok(T0 + 10), outcome: 'cancelled' });

    const now = await history.current();
    expect(now.map((r) => `${r.app}/${r.env}=${r.ref}`)).toEqual([
      'shop/production=v3',
      'shop/staging=s1',
    ]);
    expect((await history.current({ app: 'shop', env: 'staging' })).map((r) => r.ref)).toEqual([
      's1',
    ]);
    expect(await history.current({ app: 'api' })).toEqual([]);
    expect((await history.unfinished()).map((r) => r.jobId)).toEqual(['job-hostile', 'job-5']);
  });

  it('lists the last N deploys of app+env, newest first', async () => {
    expect((await history.last('shop', 'production', 3)).map((r) => r.ref)).toEqual([
      'v5',
      'v4',
      'v3',
    ]);
    expect((await history.last('shop', 'production')).map((r) => r.jobId)).toEqual([
      'job-5',
      'job-4',
      'job-3',
      'job-2',
      'job-1',
    ]);
    expect(await history.last('shop', 'nowhere')).toEqual([]);
  });

  it("keeps each host's result and full output with the deploy, bytes as they were", async () => {
    const output = Buffer.concat([Buffer.from('deploying ✓\n'), Buffer.from([0, 255, 10])]);
    const record = {
      host: 'web01',
      ok: false,
      exitCode: 3,
      signal: null,
      startedAt: T0,
      durationMs: 1234,
      outputBytes: 99_999,
      outputTruncated: true,
      output,
    };
    await history.recordHostOutput('job-out', record);
    expect(await history.hostOutput('job-out', 'web01')).toEqual(record);
    // A host run again (a resumed job) replaces its record.
    await history.recordHostOutput('job-out', { ...record, ok: true, exitCode: 0 });
    expect(await history.hostOutput('job-out', 'web01')).toMatchObject({ ok: true, exitCode: 0 });
    expect(await history.hostOutput('job-out', 'web02')).toBeNull();
    expect(await history.hostOutput('other-job', 'web01')).toBeNull();
  });

  it("deletes hosts' output that started before the retention limit, in batches; the deploys stay", async () => {
    const output = (host: string, startedAt: number) => ({
      host,
      ok: true,
      exitCode: 0,
      signal: null,
      startedAt,
      durationMs: 1,
      outputBytes: 2,
      outputTruncated: false,
      output: Buffer.from('ok'),
    });
    await history.recordStart(start('job-old'));
    const old = T0 - 100 * 24 * 3600_000;
    for (const host of ['a', 'b', 'c'])
      await history.recordHostOutput('job-old', output(host, old));
    await history.recordHostOutput('job-new', output('a', T0));
    expect(await history.pruneHostOutput(old + 1, 2)).toBe(2);
    expect(await history.pruneHostOutput(old + 1, 2)).toBe(1);
    expect(await history.pruneHostOutput(old + 1, 2)).toBe(0);
    expect(await history.hostOutput('job-old', 'a')).toBeNull();
    expect(await history.hostOutput('job-new', 'a')).not.toBeNull();
    expect(await history.get('job-old')).not.toBeNull();
  });

  it('says what each host runs now, past many deploys finished at the same moment', async () => {
    const mine = open();
    const at = T0 + 9_000_000;
    // The oldest deploy put v0 on web08; then 250 deploys of web01, all finished at one instant,
    // the first of them (lowest job id, so the last read) also on web09.
    await mine.recordStart(start('refs-old', { env: 'refs', ref: 'v0', startedAt: at - 1 }));
    await mine.recordFinish('refs-old', { ...ok(at - 1), hostsOk: ['web08'] });
    for (let i = 0; i < 250; i++) {
      const jobId = `refs-${String(i).padStart(3, '0')}`;
      await mine.recordStart(start(jobId, { env: 'refs', ref: `v1.${i}`, startedAt: at }));
      await mine.recordFinish(jobId, {
        ...ok(at),
        hostsOk: i === 0 ? ['web01', 'web09'] : ['web01'],
      });
    }
    const now = await mine.refsOnHosts('shop', 'refs', ['web01', 'web08', 'web09', 'web77']);
    // Ties are ordered by job id, highest first; a page ending inside a tie loses none of it.
    expect(Object.fromEntries(now)).toEqual({ web01: 'v1.249', web08: 'v0', web09: 'v1.0' });
  });
});
