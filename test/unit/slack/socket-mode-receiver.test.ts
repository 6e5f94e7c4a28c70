import {
  describeSocketModeHealth,
  type SocketModeHealth,
} from '../../../src/slack/socket-mode-receiver';

const SINCE = Date.parse('2025-11-21T16:00:00.000Z');
const health = (change: Partial<SocketModeHealth>): SocketModeHealth => ({
  state: 'reconnecting',
  since: SINCE,
  failedAttempts: 0,
  linkDisabled: false,
  connections: 0,
  ...change,
});

describe('describeSocketModeHealth (what /healthz says of Slack in Socket Mode)', () => {
  it('says nothing while connected, even with a replacement under way', () => {
    expect(describeSocketModeHealth(health({ state: 'connected', failedAttempts: 2 }))).toBeNull();
  });

  it('names the state, since when, the failed attempts with the last error, and the next try', () => {
    expect(describeSocketModeHealth(health({}))).toBe(
      'reconnecting since 2025-11-21T16:00:00.000Z',
    );
    expect(
      describeSocketModeHealth(
        health({ failedAttempts: 1, lastError: 'Unexpected server response: 503' }),
      ),
    ).toBe(
      'reconnecting since 2025-11-21T16:00:00.000Z: 1 attempt failed (Unexpected server response: 503)',
    );
    expect(
      describeSocketModeHealth(
        health({
          state: 'connecting',
          failedAttempts: 3,
          lastError: 'x',
          nextAttemptAt: SINCE + 9000,
        }),
        SINCE + 5000,
      ),
    ).toBe('connecting since 2025-11-21T16:00:00.000Z: 3 attempts failed (x); next in 4.0 s');
  });

  it('says when Slack turned Socket Mode off, and when the receiver was stopped', () => {
    expect(describeSocketModeHealth(health({ linkDisabled: true }))).toBe(
      'reconnecting since 2025-11-21T16:00:00.000Z: Slack turned Socket Mode off for this app (link_disabled)',
    );
    expect(describeSocketModeHealth(health({ state: 'stopped' }))).toBe('not connected (stopped)');
  });
});
