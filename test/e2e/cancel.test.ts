import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

describe('cancelling a running job', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack().start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  async function startLongPing(): Promise<string> {
    const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 60 --tick-seconds 0.5')));
    await waitFor(
      async () =>
        ((await stack.runtime.jobs.get(jobId))?.progress as { percent?: number })?.percent,
      20_000,
      'the wait step to run',
    );
    return jobId;
  }

  async function expectCancelled(jobId: string, by: string): Promise<void> {
    await waitFor(
      async () => (await stack.runtime.jobs.get(jobId))?.finishedOn,
      10_000,
      'the job to stop',
    );
    const job = (await stack.runtime.jobs.get(jobId))!;
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe(`cancelled: cancelled by ${by}`);
    expect(job.data.checkpoint).toMatchObject({
      outcome: 'cancelled',
      completed: ['write-scratch-key'],
      cleanedUp: ['write-scratch-key'],
    });
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
    const thread = await stack.finishedThread(jobId, 'cancelled', 30_000);
    expect(thread.root!.text).toMatch(/^:no_entry_sign: cancelled in \d+s/);
    expect(
      thread.replies.some((r) => r.includes(':broom: cleanup *delete throwaway key* done')),
    ).toBe(true);
    expect(thread.replies.some((r) => r.includes('*wait* done'))).toBe(false);
  }

  it('stops the running step with /ops cancel and runs the cleanup', async () => {
    const jobId = await startLongPing();
    const started = Date.now();
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain(
      `Cancelling job \`${jobId}\``,
    );
    await expectCancelled(jobId, 'alice');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answerText(await stack.slash(`cancel ${jobId}`))).toContain('already finished (failed)');
  });
});
