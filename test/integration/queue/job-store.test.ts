import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { parseConfig } from '../../../src/config/load-config';
import { CancelRequests } from '../../../src/queue/cancellation';
import type { JobEnvelope } from '../../../src/runbook/job-envelope';
import { JobStore } from '../../../src/queue/job-store';
import { jobMeta } from '../../fixtures/job-meta';
import { connectRedis, deleteRedisPrefix, testSigner, uniqueName } from '../../helpers/services';

const retention = parseConfig('').queue.retention;

function envelope(jobId: string, correlationId = uniqueName('c')): JobEnvelope {
  return { meta: jobMeta({ jobId, correlationId }), input: { ticks: 1, tickMs: 0 } };
}

describe('JobStore', () => {
  const redis = connectRedis();
  const prefix = uniqueName('jobs');
  const queue = new Queue<JobEnvelope, unknown, string>('ops', { connection: redis, prefix });
  const cancels = new CancelRequests(redis, prefix, testSigner());
  const store = new JobStore(queue, cancels, retention, testSigner());

  afterAll(async () => {
    await queue.close();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  });

  it('enqueues a job id once, keeping meta apart from input, with retention set', async () => {
    const first = await store.enqueue(envelope('ping-aaaaaaaaaa'));
    const again = await store.enqueue(envelope('ping-aaaaaaaaaa'));
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(await queue.count()).toBe(1);
    expect(first.job.data.input).toEqual({ ticks: 1, tickMs: 0 });
    expect(first.job.opts.removeOnComplete).toEqual({
      age: retention.completedAgeSeconds,
      count: retention.completedCount,
    });
    expect(first.job.opts.attempts).toBe(1);
  });

  it('tells concurrent double submissions apart: exactly one is created', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => store.enqueue(envelope('ping-bbbbbbbbbb'))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('cancels a waiting job by removing it, and records who asked', async () => {
    await store.enqueue(envelope('ping-cccccccccc'));
    expect(await store.cancel('ping-cccccccccc', { id: 'U2', name: 'bob' })).toEqual({
      kind: 'removed-before-start',
    });
    expect(await store.get('ping-cccccccccc')).toBeUndefined();
    expect(await cancels.requestedBy('ping-cccccccccc')).toEqual({ id: 'U2', name: 'bob' });
    expect(await store.cancel('ping-cccccccccc', { id: 'U2', name: 'bob' })).toEqual({
      kind: 'not-found',
    });
  });

  it('refuses to cancel a finished job', async () => {
    await store.enqueue(envelope('ping-dddddddddd'));
    const worker = new Worker(
      'ops',
      async (job) => {
        if (job.id === 'ping-dddddddddd') throw new UnrecoverableError('done badly');
      },
      { connection: connectRedis(), prefix },
    );
    await new Promise<void>((resolve) =>
      worker.on('failed', (job) => job?.id === 'ping-dddddddddd' && resolve()),
    );
    await worker.close();
    expect(await store.cancel('ping-dddddddddd', { id: 'U2', name: 'bob' })).toEqual({
      kind: 'already-finished',
      state: 'failed',
    });
  });

  it('publishes a cancel request to listeners', async () => {
    const subscriber = connectRedis();
    const heard: string[] = [];
    await cancels.listen(subscriber, (jobId) => heard.push(jobId));
    await cancels.request('ping-eeeeeeeeee', { id: 'U2', name: 'bob' });
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['ping-eeeeeeeeee']);
    subscriber.disconnect();
  });

  it('lists open jobs first, with meta', async () => {
    await store.enqueue(envelope('ping-ffffffffff'));
    const list = await store.list();
    expect(list.find((j) => j.id === 'ping-ffffffffff')).toMatchObject({
      state: 'waiting',
      summary: 'self-test',
      actor: { name: 'alice' },
    });
  });

  it('overviews the open jobs up to a limit with their total, and the last finished ones', async () => {
    const own = new Queue<JobEnvelope, unknown, string>('ops', {
      connection: redis,
      prefix: uniqueName('overview'),
    });
    const overview = new JobStore(own, cancels, retention, testSigner());
    for (const n of [1, 2, 3, 4, 5]) await overview.enqueue(envelope(`ping-00000000${n}0`));
    const connection = connectRedis();
    const worker = new Worker<JobEnvelope, unknown, string>(
      'ops',
      async (job) => {
        if (job.id === 'ping-0000000020') throw new UnrecoverableError('broken');
      },
      { connection, prefix: own.opts.prefix!, autorun: false },
    );
    // Two finish (one failed), three stay waiting.
    const token = 'overview-test';
    for (let i = 0; i < 2; i += 1) {
      const job = await worker.getNextJob(token);
      try {
        await worker.processJob(job!, token, () => false);
      } catch {
        // The failed one is failed in the queue; that is all this test needs.
      }
    }
    const { open, openTotal, finished } = await overview.overview(2, 10);
    expect(open).toHaveLength(2);
    expect(openTotal).toBe(3);
    expect(open[0]).toMatchObject({ state: 'waiting', commandName: 'ops ping' });
    expect(finished.map((j) => [j.id, j.state]).sort()).toEqual([
      ['ping-0000000010', 'completed'],
      ['ping-0000000020', 'failed'],
    ]);
    await worker.close();
    connection.disconnect();
    await deleteRedisPrefix(redis, own.opts.prefix!);
    await own.close();
  });
});
