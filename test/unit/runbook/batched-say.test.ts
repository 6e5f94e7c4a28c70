import { BatchedSay } from '../../../src/runbook/batched-say';
import { md, type Mrkdwn } from '../../../src/slack/mrkdwn';

function recorder() {
  const said: string[] = [];
  return { said, say: async (text: Mrkdwn) => void said.push(text.text) };
}

describe('BatchedSay', () => {
  afterEach(() => jest.useRealTimers());

  it('gathers the lines of one interval into one message, in order', async () => {
    jest.useFakeTimers();
    const { said, say } = recorder();
    const batch = new BatchedSay(say, 10_000);
    void batch.add(md`a`);
    void batch.add(md`b`);
    expect(said).toEqual([]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(said).toEqual(['a\nb']);
    void batch.add(md`c`);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(said).toEqual(['a\nb']);
    await jest.advanceTimersByTimeAsync(1);
    expect(said).toEqual(['a\nb', 'c']);
  });

  it('flush posts what is pending at once (before a line that stands alone, at the end)', async () => {
    jest.useFakeTimers();
    const { said, say } = recorder();
    const batch = new BatchedSay(say, 10_000);
    void batch.add(md`a`);
    await batch.flush();
    await say(md`alone`);
    await batch.flush(); // nothing pending: nothing posted
    expect(said).toEqual(['a', 'alone']);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(said).toEqual(['a', 'alone']);
  });

  it('posts at once with interval 0, and when maxLines are pending', async () => {
    const { said, say } = recorder();
    const immediate = new BatchedSay(say, 0);
    await immediate.add(md`x`);
    await immediate.add(md`y`);
    expect(said).toEqual(['x', 'y']);
    const bounded = new BatchedSay(say, 60_000, 2);
    void bounded.add(md`1`);
    await bounded.add(md`2`);
    expect(said).toEqual(['x', 'y', '1\n2']);
    await bounded.flush();
  });
});
