import IORedis from 'ioredis';
import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { MASTER_NAME, SentinelTopology } from '../helpers/redis-sentinel';

/**
 * Redis fails over while runbooks run: opsdeck on Redis Sentinel (a primary, a replica, three
 * sentinels on loopback), the bot in this process and a worker process, four `/ops ping` jobs
 * running through the front door when the primary is SIGKILLed. The sentinels promote the
 * replica; every job completes, none is lost or run twice, every thread is complete, with each
 * line once. Jobs asked for after the failover run too. The figures (jobs lost, duplicated,
 * seconds of stall) are printed and quoted in the README.
 */

const RUNNING = 4;
const AFTER = 2;
const TICKS = 16;
const TICK_SECONDS = 0.5;

describe('Redis Sentinel failover during runbooks', () => {
  let topology: SentinelTopology;
  let stack: E2eStack;
  let probe: IORedis;

  /**
   * Sends the slash command until the front door queues it: one refused (Redis switching over,
   * or the audit trail too slow on a loaded machine) is answered as refused and queues nothing,
   * so it is asked again, as a user would; the job id of the one queued.
   */
  async function accept(text: string): Promise<string> {
    const queued = await waitFor(
      async () => {
        const answer = ((await stack.slash(text)).body as { text?: string }).text ?? '';
        return /`ping-[0-9a-f]{10}`/.test(answer) ? answer : null;
      },
      30_000,
      `the front door to queue ${text}`,
    );
    return jobIdIn(queued);
  }

  beforeAll(async () => {
    topology = await SentinelTopology.start();
    stack = await new E2eStack(
      {
        // Production's lock: a worker that cannot reach Redis for a few seconds keeps its jobs.
        queue: {
          concurrency: RUNNING,
          lockDurationMs: 30_000,
          stalledIntervalMs: 5000,
          shutdownTimeoutMs: 5000,
        },
      },
      { redis: { sentinels: topology.sentinels, masterName: MASTER_NAME } },
    ).start();
    probe = new IORedis({
      sentinels: topology.sentinels.map((s) => ({
        host: '127.0.0.1',
        port: Number(s.split(':')[1]),
      })),
      name: MASTER_NAME,
      maxRetriesPerRequest: null,
    });
    probe.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    probe?.disconnect();
    await stack?.stop();
    await topology?.stop();
  });

  it('loses no job, runs none twice, and completes every thread', async () => {
    await stack.startWorker();
    const accepted: string[] = [];
    for (let i = 0; i < RUNNING; i++)
      accepted.push(await accept(`ping --ticks ${TICKS} --tick-seconds ${TICK_SECONDS}`));
    // All four are in their `wait` step, their scratch key written, ticking.
    await waitFor(
      async () => {
        for (const jobId of accepted) {
          const job = await stack.runtime.jobs.get(jobId);
          const checkpoint = job?.data.checkpoint as { completed?: string[] } | undefined;
          if (!checkpoint?.completed?.includes('write-scratch-key')) return false;
          if (!(job?.progress as { percent?: number })?.percent) return false;
        }
        return true;
      },
      30_000,
      'every job to be ticking',
    );
    const primaryBefore = await topology.currentPrimaryPort();
    expect(primaryBefore).toBe(topology.primary.port);
    // opsdeck writes to the primary the sentinels name (the jobs' scratch keys are there).
    for (const jobId of accepted)
      expect(await probe.exists(`${stack.prefix}:ping:${jobId}`)).toBe(1);

    // A write every 50 ms through the sentinels: when does Redis take writes again?
    const writes: { at: number; ok: boolean }[] = [];
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const at = Date.now();
        const ok = await Promise.race([
          probe.incr(`${stack.prefix}:failover-probe`).then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200)),
        ]);
        writes.push({ at, ok });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const killedAt = Date.now();
    await topology.killPrimary();
    await waitFor(
      async () => (await topology.currentPrimaryPort()) === topology.replica.port,
      30_000,
      'the sentinels to promote the replica',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${topology.logs()}`);
    });
    const promotedAt = Date.now();
    await waitFor(
      () => writes.some((w) => w.ok && w.at > killedAt),
      30_000,
      'a write to succeed after the kill',
    );
    const writableAt = writes.find((w) => w.ok && w.at > killedAt)!.at;

    // Requests after the failover go through the front door to the new primary.
    for (let i = 0; i < AFTER; i++)
      accepted.push(await accept(`ping --ticks 2 --tick-seconds ${TICK_SECONDS}`));

    const threads = [];
    for (const jobId of accepted) {
      threads.push(
        await stack.finishedThread(jobId, 'succeeded', 90_000).catch(async (error: Error) => {
          // What the queue and the worker saw: a stuck job is told from a stuck thread.
          const job = await stack.runtime.jobs.get(jobId);
          const state = job ? await job.getState() : 'gone';
          throw new Error(
            `${error.message}
job state: ${state}, checkpoint ${JSON.stringify(job?.data.checkpoint)}
` +
              `worker output (last 6000 characters):
${stack.workerOutput.slice(-6000)}
${topology.logs()}`,
          );
        }),
      );
    }
    probing = false;
    await probeLoop;

    let lost = 0;
    let duplicated = 0;
    for (const [i, jobId] of accepted.entries()) {
      const job = await stack.runtime.jobs.get(jobId);
      if (!job || (await job.getState()) !== 'completed') lost += 1;
      const checkpoint = job?.data.checkpoint as { runs?: number } | undefined;
      if ((checkpoint?.runs ?? 0) > 1) duplicated += 1;
      expect(job?.data.checkpoint).toMatchObject({
        runs: 1,
        completed: ['write-scratch-key', 'wait', 'read-back'],
        cleanedUp: ['write-scratch-key'],
      });
      expect(await probe.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
      const { lines } = threads[i]!;
      const count = (needle: string) => lines.filter((line) => line.includes(needle)).length;
      expect(count('*write-scratch-key* started')).toBe(1);
      expect(count('*wait* started')).toBe(1);
      expect(count('*read-back* started')).toBe(1);
      expect(count(':broom: cleanup *delete throwaway key* done')).toBe(1);
      expect(count('resumed after an interruption')).toBe(0);
      // Every line once: no message sent twice across the failover.
      expect(new Set(lines).size).toBe(lines.length);
    }

    // The jobs that ran across the kill: the longest gap between two of their thread lines.
    const gaps = accepted.slice(0, RUNNING).map((jobId) => {
      const times = stack.slack
        .messages('C0ALERTS')
        .filter((m) => m.thread_ts === stack.thread(jobId).root?.ts)
        .map((m) => Number(m.ts) * 1000);
      return Math.max(...times.slice(1).map((t, k) => t - times[k]!));
    });
    const figures = {
      jobsAccepted: accepted.length,
      jobsLost: lost,
      jobsRunTwice: duplicated,
      secondsUntilPromoted: (promotedAt - killedAt) / 1000,
      secondsWithoutWrites: (writableAt - killedAt) / 1000,
      longestThreadGapSeconds: Math.max(...gaps) / 1000,
    };
    console.log(`redis failover figures: ${JSON.stringify(figures)}`);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    // No connection of the worker gave up: one that ends answers every later command this way
    // (ioredis's failoverDetector did, now and then; see src/app/sentinel-failover-watch.ts).
    expect(stack.workerOutput).not.toContain('Connection is closed');
  }, 180_000);
});
