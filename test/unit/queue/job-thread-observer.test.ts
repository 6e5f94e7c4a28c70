import { JobThreadObserver, CANCEL_ACTION_ID } from '../../../src/queue/job-thread-observer';
import type { StoredMessage } from '../../../src/notify/outbox-message';
import { jobMeta } from '../../fixtures/job-meta';

const meta = jobMeta({ actor: { id: 'U1', name: 'alice' } });
const at = Date.UTC(2025, 10, 21, 16, 0, 5);

function observe() {
  const sent: [string, StoredMessage][] = [];
  const observer = new JobThreadObserver(
    // As the outbox stores it: rendered text, plain blocks.
    { enqueue: async (key, message) => void sent.push([key, JSON.parse(JSON.stringify(message))]) },
    '#devops_alert',
  );
  return { sent, observer };
}

describe('JobThreadObserver', () => {
  it('posts a root message with requester, start time and a confirmed Cancel button', async () => {
    const { sent, observer } = observe();
    await observer.onEvent(meta, { type: 'started', resumed: false, run: 1 }, at);
    const [key, message] = sent[0]!;
    expect(key).toBe('ping-0123456789');
    expect(message).toMatchObject({ kind: 'root', channel: '#devops_alert' });
    expect(message.text).toContain(':hourglass_flowing_sand: running — `/ops ping`');
    expect(message.text).toContain(
      'requested by <@U1> (alice) · started <!date^1763740805^{date_short_pretty} {time_secs}|2025-11-21T16:00:05Z>',
    );
    const button = JSON.stringify(message.blocks);
    expect(button).toContain(CANCEL_ACTION_ID);
    expect(button).toContain('"confirm"');
  });

  it('writes timestamped thread lines, and a resumed job says so instead of a new root', async () => {
    const { sent, observer } = observe();
    await observer.onEvent(meta, { type: 'started', resumed: true, run: 2 }, at);
    await observer.onEvent(
      meta,
      { type: 'step-started', step: 'copy', index: 1, count: 3, attempt: 2 },
      at,
    );
    await observer.onEvent(
      meta,
      { type: 'step-retry', step: 'copy', attempt: 1, delayMs: 2000, error: 'throttled' },
      at,
    );
    await observer.onEvent(
      meta,
      { type: 'cleanup', step: 'copy', name: 'drop side table', ok: false, error: 'denied' },
      at,
    );
    const texts = sent.map(([, m]) =>
      m.text.replace('<!date^1763740805^{time_secs}|2025-11-21T16:00:05Z> ', ''),
    );
    expect(sent.every(([, m]) => m.kind === 'reply')).toBe(true);
    expect(texts).toEqual([
      ':arrows_counterclockwise: resumed after an interruption (run 2)',
      ':arrow_forward: step 2/3 *copy* started (attempt 2)',
      ':warning: *copy* failed (throttled); retrying in 2s',
      ':rotating_light: cleanup *drop side table* FAILED: denied — this needs a human',
    ]);
  });

  it('ends with a final line and an edit of the root without the Cancel button', async () => {
    const { sent, observer } = observe();
    await observer.onEvent(
      meta,
      { type: 'finished', outcome: 'failed', durationMs: 65_000, error: 'boom' },
      at,
    );
    expect(sent.map(([, m]) => m.kind)).toEqual(['reply', 'update-root']);
    const update = sent[1]![1];
    expect(update.text).toMatch(/^:x: failed in 1m 5s — `\/ops ping`/);
    expect(update.text).toContain('started <!date^1763740740^');
    expect(update.text).toContain('> boom');
    expect(JSON.stringify(update.blocks)).not.toContain(CANCEL_ACTION_ID);
  });
});
