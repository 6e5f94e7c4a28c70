import type { StepContext } from '../../../src/runbook/define-runbook';
import { sayAtMostEveryInterval } from '../../../src/runbook/rate-limited-say';
import { md, type Mrkdwn } from '../../../src/slack/mrkdwn';

function fakeContext(progressIntervalMs: number) {
  const said: string[] = [];
  const ctx = {
    services: { config: { runbook: { progressIntervalMs } } },
    say: (text: Mrkdwn) => {
      said.push(text.text);
      return Promise.resolve();
    },
  } as unknown as StepContext<unknown>;
  return { ctx, said };
}

describe('sayAtMostEveryInterval', () => {
  afterEach(() => jest.useRealTimers());

  it('speaks at once from -Infinity, then at most once per interval', async () => {
    jest.useFakeTimers({ now: 100_000 });
    const { ctx, said } = fakeContext(10_000);
    const say = sayAtMostEveryInterval(ctx, -Infinity);
    await say(md`first`);
    await say(md`too soon`);
    jest.setSystemTime(109_999);
    await say(md`still too soon`);
    jest.setSystemTime(110_000);
    await say(md`second`);
    expect(said).toEqual(['first', 'second']);
  });

  it('counts the first interval from the time given (a wait resumed after a restart)', async () => {
    jest.useFakeTimers({ now: 50_000 });
    const { ctx, said } = fakeContext(10_000);
    const say = sayAtMostEveryInterval(ctx, 45_000);
    await say(md`too soon after the start`);
    jest.setSystemTime(55_000);
    await say(md`now`);
    expect(said).toEqual(['now']);
  });
});
