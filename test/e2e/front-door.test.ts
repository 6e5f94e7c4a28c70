import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { answerText } from '../helpers/slack-text';

describe('Slack front door', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack().start();
  });
  afterAll(() => stack.stop());

  it('rejects a request with a bad signature and enqueues nothing', async () => {
    const res = await stack.post(stack.slashBody('ping'), { secret: 'not-the-signing-secret' });
    expect(res.status).toBe(401);
    expect(await stack.runtime.opsQueue.getJobCounts()).toMatchObject({ waiting: 0, active: 0 });
  });

  it('rejects a correctly signed request older than 5 minutes (replay)', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await stack.post(stack.slashBody('ping'), { timestamp: sixMinutesAgo });
    expect(res.status).toBe(401);
    expect(await stack.runtime.opsQueue.getJobCounts()).toMatchObject({ waiting: 0, active: 0 });
  });

  it('rejects a correctly signed request 6 minutes in the future, with 401, enqueueing nothing', async () => {
    const sixMinutesAhead = Math.floor(Date.now() / 1000) + 6 * 60;
    const responds = () => stack.slack.calls.filter((call) => call.method === 'respond').length;
    const respondedBefore = responds();
    const res = await stack.post(stack.slashBody('ping'), { timestamp: sixMinutesAhead });
    expect(res.status).toBe(401);
    // Also a click, and a redelivery of a request that was answered: the same door.
    const click = await stack.post(stack.clickBody('job.cancel', 'ping-0123456789', '1.2'), {
      timestamp: sixMinutesAhead,
    });
    expect(click.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await stack.runtime.opsQueue.getJobCounts()).toMatchObject({ waiting: 0, active: 0 });
    expect(responds()).toBe(respondedBefore);
  });

  it('accepts requests signed up to 5 minutes ahead (a clock a little fast) and 4 minutes ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await stack.post(stack.slashBody('help'), { timestamp: now + 4 * 60 })).status).toBe(
      200,
    );
    expect(
      (await stack.post(stack.slashBody('help'), { timestamp: now + 5 * 60 - 2 })).status,
    ).toBe(200);
    expect(
      (await stack.post(stack.slashBody('help'), { timestamp: now + 5 * 60 + 5 })).status,
    ).toBe(401);
  });

  it('accepts a request signed 4 minutes ago', async () => {
    const res = await stack.post(stack.slashBody('help'), {
      timestamp: Math.floor(Date.now() / 1000) - 4 * 60,
    });
    expect(res.status).toBe(200);
  });

  it('answers a bad subcommand with a specific ephemeral error and the usage', async () => {
    const res = await stack.slash('pong');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    expect(answerText(res)).toContain('/ops: unknown subcommand "pong"');
    expect(answerText(res)).toContain('/ops ping [--ticks <1-60>] [--tick-seconds <0-60>]');
  });

  it.each([
    ['ping --ticks 0', '--ticks: must be a whole number from 1 to 60'],
    ['ping --ticks 2.5', '--ticks: must be a whole number from 1 to 60'],
    ['ping --tick-seconds -1', '--tick-seconds: must be a number of seconds from 0 to 60'],
    ['ping --ticks many', '--ticks: must be a whole number from 1 to 60'],
    ['ping --ticks 0x3c', '--ticks: must be a whole number from 1 to 60'],
    [
      'ping --ticks 60 --tick-seconds 1e1',
      '--tick-seconds: must be a number of seconds from 0 to 60',
    ],
    ['ping --ticks', '--ticks needs a value'],
    ['ping --tick 2', 'unknown option --tick (known: --ticks, --tick-seconds, --approve-midway)'],
    ['ping extra', 'unexpected argument: extra'],
    ['cancel', '<job> is missing'],
    ['cancel 42', '<job>: is not a job id'],
    ['cancel "ping-0123456789', 'unclosed quote'],
  ])('/ops %s → %s, nothing enqueued', async (input, message) => {
    const res = await stack.slash(input);
    expect(res.status).toBe(200);
    expect(answerText(res)).toContain(message);
    expect(answerText(res)).toContain('Usage:');
    expect(await stack.runtime.opsQueue.count()).toBe(0);
  });

  it('answers an unknown slash command', async () => {
    const res = await stack.post(stack.slashBody('', { command: '/nope' }));
    expect(answerText(res)).toContain('opsdeck does not know `/nope`');
  });

  it('lists the commands with /ops help', async () => {
    const res = await stack.slash('help');
    for (const usage of ['/ops help', '/ops ping', '/ops jobs', '/ops cancel <job-id>'])
      expect(answerText(res)).toContain(usage);
  });

  it('lists waiting jobs with /ops jobs and cancels one before it starts', async () => {
    const queued = jobIdIn(answerText(await stack.slash('ping --ticks 1')));
    const list = answerText(await stack.slash('jobs'));
    expect(list).toContain(`\`${queued}\` waiting: self-test: 1 ticks of 1 s (alice,`);
    const cancel = answerText(await stack.slash(`cancel ${queued}`));
    expect(cancel).toContain('was cancelled before it started');
    expect(await stack.runtime.jobs.get(queued)).toBeUndefined();
    expect(answerText(await stack.slash(`cancel ${queued}`))).toContain(`No job \`${queued}\``);
  });

  it('acks every command well within Slack’s 3 seconds', async () => {
    const timings: number[] = [];
    for (let i = 0; i < 20; i++)
      timings.push((await stack.slash(i % 2 ? 'help' : 'ping --ticks 1')).ms);
    expect(Math.max(...timings)).toBeLessThan(3000);
    await stack.runtime.opsQueue.obliterate({ force: true });
  });
});

// CLIENT PAUSE stops every client of a server: this stack has a Redis of its own, so the
// tests running beside it (other jest workers share the local Redis) are not paused too.
describe('Slack front door, its Redis not answering', () => {
  let server: TestRedisServer;
  let stack: E2eStack;

  beforeAll(async () => {
    server = await startRedisServer([]);
    stack = await new E2eStack({}, { redis: { url: `redis://127.0.0.1:${server.port}` } }).start();
  });
  afterAll(async () => {
    await stack.stop();
    await server.stop();
  });

  it('answers within 3 s with a clear error when Redis does not answer', async () => {
    const { redisFast } = stack.runtime;
    await redisFast.client('PAUSE', 5000, 'ALL').catch(() => undefined);
    try {
      const res = await waitFor(() => stack.slash('ping --ticks 1'), 5000, 'an answer');
      expect(res.ms).toBeLessThan(3000);
      expect(answerText(res)).toMatch(
        /could not be handled .*Nothing was started.*trying again is safe/,
      );
    } finally {
      await stack.redis.client('UNPAUSE');
    }
  });
});
