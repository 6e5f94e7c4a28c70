import { LogLevel, type Logger } from '@slack/socket-mode';
import { type FakeSlackApi, startFakeSlackApi } from '../../../devkit/slack/fake-slack-api';
import { SocketConnection } from '../../../src/slack/socket-connection';

const APP_TOKEN = 'xapp-1-A0OPSDECK-3-connection';
const RESPONSE_URL = 'https://hooks.slack.com/commands/T0/1/secret-response-url';

/** A logger at debug level that keeps every line. */
function recordingLogger(lines: string[]): Logger {
  const keep = (...msg: unknown[]) => void lines.push(msg.map(String).join(' '));
  return {
    debug: keep,
    info: keep,
    warn: keep,
    error: keep,
    setLevel: () => undefined,
    getLevel: () => LogLevel.DEBUG,
    setName: () => undefined,
  };
}

describe('SocketConnection (one Socket Mode connection, the reconnecting left to the receiver)', () => {
  let slack: FakeSlackApi;
  let conn: SocketConnection;
  const lines: string[] = [];

  beforeEach(async () => {
    slack = await startFakeSlackApi({ appToken: APP_TOKEN });
    conn = new SocketConnection({
      appToken: APP_TOKEN,
      logger: recordingLogger(lines),
      clientOptions: { slackApiUrl: slack.url, retryConfig: { retries: 0 } },
    });
    conn.on(
      'slash_commands',
      ({ ack }: { ack: (r: unknown) => Promise<void> }) => void ack({ text: 'ok' }),
    );
    await conn.start();
  });
  afterEach(async () => {
    await conn.disconnect();
    await slack.stop();
  });

  it('reports a disconnect from Slack instead of closing; the socket stays open', async () => {
    const reasons: string[] = [];
    conn.on('disconnect_requested', (reason: string) => reasons.push(reason));
    const warned = slack.socket.disconnect('refresh_requested', { closeAfterMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reasons).toEqual(['refresh_requested']);
    expect(warned.closedAt).toBeUndefined();
    // Still takes envelopes until the receiver closes it.
    expect((await slack.socket.deliver('slash_commands', { command: '/ops' })).payload).toEqual({
      text: 'ok',
    });
  });

  it('logs no envelope contents, even at debug level (what users typed, response_urls)', async () => {
    await slack.socket.deliver('slash_commands', {
      command: '/ops',
      text: 'ping --secret-looking-arg',
      response_url: RESPONSE_URL,
    });
    expect(lines.some((l) => l.includes('(contents not logged)'))).toBe(true);
    expect(lines.filter((l) => l.includes(RESPONSE_URL) || l.includes('secret-looking'))).toEqual(
      [],
    );
  });
});
