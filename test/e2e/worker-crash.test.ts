import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';

describe('a worker killed with SIGKILL mid-runbook', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack().start();
  });
  afterAll(() => stack.stop());

  it('is resumed by a new worker: completed steps are not repeated and the cleanup runs once', async () => {
    const first = await stack.startWorker();
    const res = await stack.slash('ping --ticks 8 --tick-seconds 0.5');
    const jobId = jobIdIn((res.body as { text: string }).text);

    // Kill it during the `wait` step, after write-scratch-key completed.
    await waitFor(
      async () => {
        const job = await stack.runtime.jobs.get(jobId);
        const checkpoint = job?.data.checkpoint as { completed?: string[] } | undefined;
        return (
          checkpoint?.completed?.includes('write-scratch-key') &&
          (job?.progress as { percent?: number })?.percent
        );
      },
      20_000,
      'the wait step to make progress',
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(1);

    await stack.startWorker();
    await waitFor(
      async () => (await stack.runtime.jobs.get(jobId))?.finishedOn,
      40_000,
      'the job to finish',
    );
    const job = (await stack.runtime.jobs.get(jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.data.checkpoint).toMatchObject({
      runs: 2,
      completed: ['write-scratch-key', 'wait', 'read-back'],
      cleanedUp: ['write-scratch-key'],
    });
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);

    const thread = await stack.finishedThread(jobId, 'succeeded');
    const { lines } = thread;
    const count = (needle: string) => lines.filter((line) => line.includes(needle)).length;
    expect(count('*write-scratch-key* started')).toBe(1);
    expect(count('wrote throwaway key')).toBe(1);
    expect(count('resumed after an interruption (run 2)')).toBe(1);
    expect(count('*wait* started')).toBe(2);
    expect(count('*read-back* started')).toBe(1);
    expect(count(':broom: cleanup *delete throwaway key* done')).toBe(1);
    expect(lines.indexOf(lines.find((l) => l.includes('resumed'))!)).toBeGreaterThan(
      lines.indexOf(lines.find((l) => l.includes('*wait* started'))!),
    );
  });
});
