import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';

describe('a worker stopped with SIGTERM mid-runbook', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack().start();
  });
  afterAll(() => stack.stop());

  it('exits within the bounded wait, and the job it was running resumes elsewhere', async () => {
    const worker = await stack.startWorker();
    const res = await stack.slash('ping --ticks 40 --tick-seconds 0.5');
    const jobId = jobIdIn((res.body as { text: string }).text);
    await waitFor(
      async () =>
        ((await stack.runtime.jobs.get(jobId))?.progress as { percent?: number })?.percent,
      20_000,
      'the wait step to make progress',
    );
    const stopped = Date.now();
    worker.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    // queue.shutdownTimeoutMs is 5 s in the e2e config: the 20 s step is not waited for.
    expect(Date.now() - stopped).toBeLessThan(8000);
    expect(code).toBe(1);
    expect(await (await stack.runtime.jobs.get(jobId))!.getState()).toBe('active');

    await stack.startWorker();
    await waitFor(
      async () =>
        (await stack.runtime.jobs.get(jobId))?.data.checkpoint &&
        ((await stack.runtime.jobs.get(jobId))!.data.checkpoint as { runs: number }).runs === 2,
      20_000,
      'the job to resume on the new worker',
    );
    expect(await stack.runtime.jobs.cancel(jobId, { id: 'U0ALICE', name: 'alice' })).toEqual({
      kind: 'cancelling',
    });
    await waitFor(
      async () => (await stack.runtime.jobs.get(jobId))?.finishedOn,
      20_000,
      'the cancelled job to end',
    );
  });
});
