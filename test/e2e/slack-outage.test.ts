import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';

describe('Slack rate-limiting and failing for a while', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack().start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  it('does not slow the runbook; every message arrives once, in order, when Slack is back', async () => {
    const outageMs = 5000;
    stack.slack.script('chat.postMessage', [
      { status: 429, retryAfter: 1 },
      { status: 429, retryAfter: 1 },
    ]);
    stack.slack.failUntil(Date.now() + outageMs, { status: 500 });
    const started = Date.now();
    const res = await stack.slash('ping --ticks 3 --tick-seconds 0.3');
    const jobId = jobIdIn((res.body as { text: string }).text);

    // The runbook finishes on its own schedule while Slack is still failing.
    await waitFor(
      async () => (await stack.runtime.jobs.get(jobId))?.finishedOn,
      outageMs,
      'the job to finish during the outage',
    );
    const job = (await stack.runtime.jobs.get(jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.finishedOn! - started).toBeLessThan(outageMs);
    expect(stack.thread(jobId).root).toBeUndefined();

    const thread = await stack.finishedThread(jobId, 'succeeded');
    const { lines } = thread;
    expect(
      lines.map((l) =>
        l
          .replace(/(?<!\d)\d+s$/, 'Ns')
          .replace(/ETA \d+s/, 'ETA Ns')
          .replace(/`[^`]+`/, 'KEY'),
      ),
    ).toEqual([
      ':arrow_forward: step 1/3 *write-scratch-key* started',
      'wrote throwaway key KEY',
      ':heavy_check_mark: *write-scratch-key* done in Ns',
      ':arrow_forward: step 2/3 *wait* started',
      ':bar_chart: *wait* 33% (1/3 ticks, ETA Ns)',
      ':bar_chart: *wait* 66% (2/3 ticks, ETA Ns)',
      ':bar_chart: *wait* 100% (3/3 ticks)',
      ':heavy_check_mark: *wait* done in Ns',
      ':arrow_forward: step 3/3 *read-back* started',
      'read the key back: Redis round trip ok',
      ':heavy_check_mark: *read-back* done in Ns',
      ':broom: cleanup *delete throwaway key* done',
      ':white_check_mark: succeeded in Ns',
    ]);
    // Slack refused calls during the outage, and each message was still posted exactly once.
    const refused = stack.slack.calls.filter((c) => c.status === 429 || c.status === 500);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused.some((c) => c.status === 429)).toBe(true);
  });
});
