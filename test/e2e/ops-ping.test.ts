import { E2eStack, jobIdIn } from '../helpers/e2e-stack';

describe('/ops ping end to end', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack().start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  it('acks with the job id, runs the runbook, posts the thread and edits the root', async () => {
    const res = await stack.slash('ping --ticks 2 --tick-seconds 0.2');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    const jobId = jobIdIn((res.body as { text: string }).text);

    const done = await stack.finishedThread(jobId, 'succeeded', 30_000);

    expect(done.root!.text).toMatch(
      /^:white_check_mark: succeeded in \d+s — `\/ops ping --ticks 2 --tick-seconds 0.2`/,
    );
    expect(done.root!.text).toContain('<@U0ALICE>');
    expect(done.root!.text).toMatch(
      /started <!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ>/,
    );
    const { lines } = done;
    expect(lines).toEqual([
      ':arrow_forward: step 1/3 *write-scratch-key* started',
      expect.stringMatching(/^wrote throwaway key `.+:ping:ping-[0-9a-f]{10}`$/),
      expect.stringMatching(/^:heavy_check_mark: \*write-scratch-key\* done in \d+s$/),
      ':arrow_forward: step 2/3 *wait* started',
      ':bar_chart: *wait* 50% (1/2 ticks, ETA 0s)',
      ':bar_chart: *wait* 100% (2/2 ticks)',
      expect.stringMatching(/^:heavy_check_mark: \*wait\* done in \d+s$/),
      ':arrow_forward: step 3/3 *read-back* started',
      'read the key back: Redis round trip ok',
      expect.stringMatching(/^:heavy_check_mark: \*read-back\* done in \d+s$/),
      ':broom: cleanup *delete throwaway key* done',
      expect.stringMatching(/^:white_check_mark: succeeded in \d+s$/),
    ]);
    // every thread line carries a timestamp
    for (const reply of done.replies)
      expect(reply).toMatch(/^<!date\^\d+\^\{time_secs\}\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ> /);
    // the throwaway key is gone
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
    // the Cancel button is gone from the final root
    const root = stack.slack.messages().find((m) => m.ts === done.root!.ts)!;
    expect(JSON.stringify(root.blocks)).not.toContain('job.cancel');
  });
});
