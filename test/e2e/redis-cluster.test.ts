import { Cluster } from 'ioredis';
import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { RedisClusterTopology } from '../helpers/redis-cluster';

/**
 * opsdeck on a Redis Cluster (three primaries on loopback) with a hash-tag prefix, as BullMQ
 * needs: the front door queues, a worker process runs the runbook, the thread goes out through
 * the outbox (its Lua scripts), a cancel crosses processes by pub/sub; all keys in one slot.
 */
describe('on a Redis Cluster', () => {
  let cluster: RedisClusterTopology;
  let stack: E2eStack;
  let client: Cluster;
  const text = (res: { body: unknown }) => (res.body as { text: string }).text;

  beforeAll(async () => {
    cluster = await RedisClusterTopology.start();
    stack = await new E2eStack(
      {},
      { redis: { cluster: cluster.nodes }, hashTagPrefix: true },
    ).start();
    await stack.startWorker();
    client = new Cluster(
      cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
    );
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await stack?.stop();
    await cluster?.stop();
  });

  it('runs a runbook through the front door, a worker and the outbox, its keys in one slot', async () => {
    expect(stack.prefix).toMatch(/^\{e2e_.+\}$/);
    const jobId = jobIdIn(text(await stack.slash('ping --ticks 2 --tick-seconds 0.2')));
    const done = await stack.finishedThread(jobId, 'succeeded', 30_000);
    expect(done.lines).toEqual(
      expect.arrayContaining([
        ':arrow_forward: step 1/3 *write-scratch-key* started',
        expect.stringContaining(':broom: cleanup *delete throwaway key* done'),
      ]),
    );
    const job = (await stack.runtime.jobs.get(jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.data.checkpoint).toMatchObject({
      runs: 1,
      completed: ['write-scratch-key', 'wait', 'read-back'],
    });

    // Every key under the prefix hashes to the prefix's slot, on the node that owns it.
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', stack.prefix));
    const keys: string[] = [];
    for (const node of client.nodes('master')) keys.push(...(await node.keys(`${stack.prefix}:*`)));
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect(Number(await client.call('CLUSTER', 'KEYSLOT', key))).toBe(slot);
  });

  it('cancels a running job from the bot process (pub/sub across the cluster)', async () => {
    const jobId = jobIdIn(text(await stack.slash('ping --ticks 60 --tick-seconds 0.5')));
    await waitFor(
      async () =>
        ((await stack.runtime.jobs.get(jobId))?.progress as { percent?: number })?.percent,
      20_000,
      'the wait step to run',
    );
    expect(text(await stack.slash(`cancel ${jobId}`))).toContain(`Cancelling job \`${jobId}\``);
    const thread = await stack.finishedThread(jobId, 'cancelled', 30_000);
    expect(thread.root.text).toMatch(/^:no_entry_sign: cancelled in \d+s/);
    expect(await client.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
  });
});
