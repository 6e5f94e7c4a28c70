import fc from 'fast-check';
import {
  runRollout,
  type HostOutcome,
  type RolloutOptions,
} from '../../../src/deploy/rollout-scheduler';

const hosts = (n: number) =>
  Array.from({ length: n }, (_, i) => `web${String(i + 1).padStart(2, '0')}`);
const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake fleet: records starts, the highest number running at once, and fails chosen hosts. */
function fleet(options: { fail?: string[]; durationMs?: (host: string) => number } = {}) {
  let running = 0;
  const state = { maxRunning: 0, started: [] as string[], events: [] as string[] };
  const runHost = async (host: string, signal: AbortSignal): Promise<HostOutcome> => {
    running += 1;
    state.maxRunning = Math.max(state.maxRunning, running);
    state.started.push(host);
    state.events.push(`start ${host}`);
    try {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, options.durationMs?.(host) ?? 5);
        signal.addEventListener('abort', done);
      });
      if (signal.aborted) return { host, ok: false, cancelled: true };
      return { host, ok: !options.fail?.includes(host) };
    } finally {
      running -= 1;
      state.events.push(`end ${host}`);
    }
  };
  return { state, runHost };
}

function rollout(
  options: Partial<RolloutOptions<HostOutcome>> & Pick<RolloutOptions<HostOutcome>, 'runHost'>,
) {
  return runRollout({ hosts: hosts(6), concurrency: 2, failureThreshold: 99, ...options });
}

describe('runRollout', () => {
  it('runs every host once and reports them succeeded', async () => {
    const { state, runHost } = fleet();
    const report = await rollout({ runHost });
    expect(state.started.sort()).toEqual(hosts(6));
    expect(report).toMatchObject({
      ran: expect.arrayContaining(hosts(6)),
      resumed: [],
      succeeded: hosts(6),
      failed: [],
      cancelled: [],
      notStarted: [],
      stoppedBy: null,
    });
    expect(report.results.map((r) => r.host)).toEqual(hosts(6));
  });

  it('never runs more hosts at once than the concurrency (property over sizes and timings)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 12, maxLength: 12 }),
        fc.boolean(),
        async (n, concurrency, durations, batched) => {
          const { state, runHost } = fleet({
            durationMs: (h) => durations[Number(h.slice(3)) - 1]!,
          });
          const report = await runRollout({
            hosts: hosts(n),
            concurrency,
            failureThreshold: 1,
            runHost,
            ...(batched && { batchPauseMs: 0 }),
          });
          expect(state.maxRunning).toBeLessThanOrEqual(concurrency);
          expect(state.maxRunning).toBe(Math.min(concurrency, n));
          expect(report.succeeded).toHaveLength(n);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('starts no new host once the failure threshold is reached; running hosts finish', async () => {
    const { state, runHost } = fleet({
      fail: ['web01', 'web02'],
      durationMs: (h) => (h === 'web03' ? 40 : 5),
    });
    const report = await runRollout({
      hosts: hosts(8),
      concurrency: 3,
      failureThreshold: 2,
      runHost,
    });
    expect(report.stoppedBy).toBe('failure-threshold');
    expect(report.failed).toEqual(['web01', 'web02']);
    // web03 was running when the threshold was reached: it finished normally.
    expect(report.succeeded).toContain('web03');
    expect(report.notStarted.length).toBeGreaterThan(0);
    expect([...state.started, ...report.notStarted].sort()).toEqual(hosts(8));
    for (const host of report.notStarted) expect(state.started).not.toContain(host);
  });

  it('stops after the first failure with the default threshold of 1, in order', async () => {
    const { state, runHost } = fleet({ fail: ['web02'] });
    const report = await runRollout({
      hosts: hosts(5),
      concurrency: 1,
      failureThreshold: 1,
      runHost,
    });
    expect(state.started).toEqual(['web01', 'web02']);
    expect(report).toMatchObject({
      succeeded: ['web01'],
      failed: ['web02'],
      notStarted: ['web03', 'web04', 'web05'],
      stoppedBy: 'failure-threshold',
    });
  });

  it('resumes: hosts a previous run finished are not run again and count towards the threshold', async () => {
    const { state, runHost } = fleet();
    const previous = [
      { host: 'web01', ok: true },
      { host: 'web03', ok: false },
      { host: 'gone', ok: true },
    ];
    const report = await rollout({ runHost, previous, failureThreshold: 2 });
    expect(state.started.sort()).toEqual(['web02', 'web04', 'web05', 'web06']);
    expect(report.resumed).toEqual(['web01', 'web03']);
    expect(report.ran.sort()).toEqual(['web02', 'web04', 'web05', 'web06']);
    expect(report.failed).toEqual(['web03']);
    expect(report.results.map((r) => r.host)).toEqual(hosts(6));

    const second = fleet();
    const stopped = await rollout({
      runHost: second.runHost,
      previous: [
        { host: 'web01', ok: false },
        { host: 'web02', ok: false },
      ],
      failureThreshold: 2,
    });
    expect(second.state.started).toEqual([]);
    expect(stopped).toMatchObject({
      stoppedBy: 'failure-threshold',
      notStarted: hosts(6).slice(2),
    });
  });

  it('a crash between start and finish: resuming from the recorded results runs only unfinished hosts', async () => {
    const recorded: HostOutcome[] = [];
    const first = fleet();
    await expect(
      rollout({
        runHost: first.runHost,
        concurrency: 1,
        onHostFinished: (result) => {
          if (result.host === 'web03') throw new Error('worker killed');
          recorded.push(result);
        },
      }),
    ).rejects.toThrow('worker killed');
    expect(first.state.started).toEqual(['web01', 'web02', 'web03']);
    const second = fleet();
    const report = await rollout({ runHost: second.runHost, concurrency: 1, previous: recorded });
    // web03's result was never recorded: it runs again; web01 and web02 do not.
    expect(second.state.started).toEqual(['web03', 'web04', 'web05', 'web06']);
    expect(report.succeeded).toEqual(hosts(6));
  });

  it('awaits the callbacks: a host starts only after the previous result was checkpointed', async () => {
    const { state, runHost } = fleet();
    const progress: string[] = [];
    await rollout({
      runHost,
      concurrency: 1,
      hosts: hosts(3),
      onHostStarted: async (host, p) => {
        await tick(5);
        state.events.push(`started-recorded ${host}`);
        progress.push(`${host} ${p.done}/${p.total}`);
      },
      onHostFinished: async (result, p) => {
        await tick(5);
        state.events.push(`finished-recorded ${result.host}`);
        progress.push(`${result.host} done ${p.done}/${p.total}`);
      },
    });
    expect(state.events).toEqual([
      'started-recorded web01',
      'start web01',
      'end web01',
      'finished-recorded web01',
      'started-recorded web02',
      'start web02',
      'end web02',
      'finished-recorded web02',
      'started-recorded web03',
      'start web03',
      'end web03',
      'finished-recorded web03',
    ]);
    expect(progress).toEqual([
      'web01 0/3',
      'web01 done 1/3',
      'web02 1/3',
      'web02 done 2/3',
      'web03 2/3',
      'web03 done 3/3',
    ]);
  });

  it('pauses between batches, and runs a batch only after the previous one ended', async () => {
    const { state, runHost } = fleet();
    const pauses: number[] = [];
    await rollout({
      runHost,
      concurrency: 2,
      batchPauseMs: 1234,
      sleep: async (ms) => {
        pauses.push(ms);
        state.events.push('pause');
      },
    });
    expect(pauses).toEqual([1234, 1234]);
    const order = state.events.map((e) => e.replace(/ web0(\d)/, ' $1'));
    const pauseAt = order.flatMap((e, i) => (e === 'pause' ? [i] : []));
    expect(pauseAt).toHaveLength(2);
    // Before each pause every started host has ended.
    for (const at of pauseAt) {
      const before = order.slice(0, at);
      expect(before.filter((e) => e.startsWith('start')).length).toBe(
        before.filter((e) => e.startsWith('end')).length,
      );
    }
  });

  it('cancel: stops scheduling, aborts running hosts, reports ran and not started', async () => {
    const controller = new AbortController();
    const { state, runHost } = fleet({ durationMs: () => 10_000 });
    const pending = rollout({ runHost, concurrency: 2, signal: controller.signal });
    await tick(20);
    controller.abort();
    const report = await pending;
    expect(state.started).toEqual(['web01', 'web02']);
    expect(report).toMatchObject({
      ran: ['web01', 'web02'],
      cancelled: ['web01', 'web02'],
      succeeded: [],
      failed: [],
      notStarted: ['web03', 'web04', 'web05', 'web06'],
      stoppedBy: 'cancelled',
    });
  });

  it('cancel during a batch pause ends the pause and starts nothing more', async () => {
    const controller = new AbortController();
    const { state, runHost } = fleet();
    const report = await rollout({
      runHost,
      concurrency: 3,
      batchPauseMs: 60_000,
      signal: controller.signal,
      onHostFinished: (r) => {
        if (r.host === 'web03') setTimeout(() => controller.abort(), 10);
      },
    });
    expect(state.started).toEqual(['web01', 'web02', 'web03']);
    expect(report).toMatchObject({
      succeeded: ['web01', 'web02', 'web03'],
      notStarted: ['web04', 'web05', 'web06'],
      stoppedBy: 'cancelled',
    });
  });

  it('already cancelled: starts nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const { state, runHost } = fleet();
    const report = await rollout({ runHost, signal: controller.signal });
    expect(state.started).toEqual([]);
    expect(report).toMatchObject({ notStarted: hosts(6), stoppedBy: 'cancelled' });
  });

  it('a throwing runHost stops scheduling, lets running hosts finish, then throws', async () => {
    const { state, runHost } = fleet({ durationMs: () => 20 });
    const finished: string[] = [];
    await expect(
      rollout({
        concurrency: 2,
        runHost: async (host, signal) => {
          if (host === 'web02') throw new Error('cannot render');
          return runHost(host, signal);
        },
        onHostFinished: (r) => {
          finished.push(r.host);
        },
      }),
    ).rejects.toThrow('cannot render');
    expect(state.started).toEqual(['web01']);
    expect(finished).toEqual(['web01']);
  });

  it('refuses a host listed twice and a bad concurrency', async () => {
    const { runHost } = fleet();
    await expect(rollout({ runHost, hosts: ['a', 'a'] })).rejects.toThrow('twice');
    await expect(rollout({ runHost, concurrency: 0 })).rejects.toThrow('concurrency');
  });
});
