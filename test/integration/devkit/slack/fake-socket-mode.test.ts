import { SocketModeClient } from '@slack/socket-mode';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { WebSocket } from 'ws';
import { type FakeSlackApi, startFakeSlackApi } from '../../../../devkit/slack/fake-slack-api';
import { waitFor } from '../../../helpers/wait-for';

const APP_TOKEN = 'xapp-1-A0OPSDECK-1-fake';

/** A bare WebSocket client that keeps every message it got, parsed. */
class RawClient {
  readonly messages: Record<string, unknown>[] = [];
  closed?: number;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(data.toString())));
    ws.on('close', (code) => (this.closed = code));
  }

  static async connect(slack: FakeSlackApi, token = APP_TOKEN): Promise<RawClient> {
    const { url } = await new WebClient(token, {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    }).apps.connections.open({});
    const client = new RawClient(new WebSocket(url!));
    await waitFor(() => client.messages.length > 0, 5000, 'hello');
    return client;
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.type === type);
  }

  ack(envelopeId: unknown, payload?: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ envelope_id: envelopeId, ...(payload && { payload }) }));
  }
}

describe('fake Slack: Socket Mode', () => {
  let slack: FakeSlackApi;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    slack = await startFakeSlackApi({ appToken: APP_TOKEN });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await slack.stop();
  });

  async function connect(): Promise<RawClient> {
    const client = await RawClient.connect(slack);
    clients.push(client);
    return client;
  }

  it('opens a connection for the app-level token only: hello, then envelopes to ack', async () => {
    for (const [token, error] of [
      ['xoxb-bot-token', 'not_allowed_token_type'],
      ['xapp-1-someone-else', 'invalid_auth'],
    ] as const) {
      await expect(
        new WebClient(token, {
          slackApiUrl: slack.url,
          retryConfig: { retries: 0 },
          logLevel: LogLevel.ERROR,
        }).apps.connections.open({}),
      ).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error } });
    }
    const client = await connect();
    expect(client.messages[0]).toMatchObject({
      type: 'hello',
      num_connections: 1,
      connection_info: { app_id: 'A0OPSDECK' },
    });

    const acked = slack.socket.deliver(
      'slash_commands',
      { command: '/ops', text: 'help' },
      { ackTimeoutMs: 5000 },
    );
    const envelope = await waitFor(() => client.ofType('slash_commands')[0], 5000, 'envelope');
    expect(envelope).toMatchObject({
      payload: { command: '/ops', text: 'help' },
      accepts_response_payload: true,
    });
    expect(envelope.envelope_id).toMatch(/^[0-9a-f]{32}$/);
    client.ack(envelope.envelope_id, { text: 'the answer' });
    const ack = await acked;
    expect(ack).toMatchObject({ connectionId: 1, payload: { text: 'the answer' } });
    expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
    expect(slack.socket.envelope(ack.envelopeId)!.acks).toHaveLength(1);

    // An ack for an envelope that was never sent is recorded as stray, not accepted.
    client.ack('not-an-envelope');
    await waitFor(() => slack.socket.strayAcks.length === 1, 5000, 'the stray ack');
  });

  it('takes each URL once and refuses connections when told to', async () => {
    const url = slack.socket.issueUrl(slack.url.replace(/\/api\/$/, ''));
    const first = new WebSocket(url);
    await new Promise((resolve) => first.once('open', resolve));
    const again = new WebSocket(url);
    await expect(new Promise((_, reject) => again.once('error', reject))).rejects.toThrow(
      'Unexpected server response: 401',
    );
    first.terminate();

    slack.socket.refuseConnections(1);
    const refused = new WebSocket(slack.socket.issueUrl(slack.url.replace(/\/api\/$/, '')));
    await expect(new Promise((_, reject) => refused.once('error', reject))).rejects.toThrow(
      'Unexpected server response: 503',
    );
    await connect();
  });

  it('sends envelopes to the newest connection not told to disconnect; warns, then closes', async () => {
    const a = await connect();
    slack.socket.disconnect('warning', { closeAfterMs: 2000 });
    expect(a.ofType('disconnect')).toEqual([]);
    await waitFor(() => a.ofType('disconnect').length === 1, 5000, 'the warning');
    expect(a.ofType('disconnect')[0]).toMatchObject({ type: 'disconnect', reason: 'warning' });

    // Until another connection is up, the warned one still gets envelopes.
    const first = slack.socket.deliver('interactive', { type: 'block_actions' });
    const onA = await waitFor(() => a.ofType('interactive')[0], 5000, 'envelope on a');
    expect(onA.accepts_response_payload).toBe(false);
    a.ack(onA.envelope_id);
    await first;

    const b = await connect();
    expect(b.messages[0]).toMatchObject({ type: 'hello', num_connections: 2 });
    const second = slack.socket.deliver('events_api', { event: { type: 'app_mention' } });
    const onB = await waitFor(() => b.ofType('events_api')[0], 5000, 'envelope on b');
    expect(onB).toMatchObject({ retry_attempt: 0, accepts_response_payload: false });
    b.ack(onB.envelope_id);
    await second;
    expect(a.ofType('events_api')).toEqual([]);

    await waitFor(() => a.closed !== undefined, 10_000, 'the warned connection to close');
    expect(slack.socket.connections[0]).toMatchObject({
      id: 1,
      closedBy: 'slack',
      disconnect: { reason: 'warning' },
    });
    expect(slack.socket.openConnections().map((c) => c.id)).toEqual([2]);
  });

  it('delivers an unacknowledged envelope again, same id, once a connection is open', async () => {
    const a = await connect();
    const acked = slack.socket.deliver('events_api', { event: { type: 'app_mention' } });
    const first = await waitFor(() => a.ofType('events_api')[0], 5000, 'envelope on a');
    slack.socket.drop();
    await waitFor(() => a.closed !== undefined, 5000, 'the drop');
    expect(a.closed).toBe(1006);

    const b = await connect();
    const again = await waitFor(() => b.ofType('events_api')[0], 5000, 'the redelivery');
    expect(again).toMatchObject({
      envelope_id: first.envelope_id,
      retry_attempt: 1,
      retry_reason: 'timeout',
    });
    b.ack(again.envelope_id);
    expect(await acked).toMatchObject({ connectionId: 2 });
    const record = slack.socket.envelope(String(first.envelope_id))!;
    expect(record.deliveries.map((d) => [d.connectionId, d.attempt])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(record.acks).toHaveLength(1);
  });

  it('plays a lost ack: the connection drops instead, and the envelope comes again', async () => {
    const a = await connect();
    const acked = slack.socket.deliver(
      'slash_commands',
      { command: '/ops', text: 'ping' },
      { loseFirstAck: true },
    );
    const envelope = await waitFor(() => a.ofType('slash_commands')[0], 5000, 'envelope');
    a.ack(envelope.envelope_id, { text: 'queued' });
    await waitFor(() => a.closed !== undefined, 5000, 'the drop');
    expect(slack.socket.lostAcks).toEqual([
      expect.objectContaining({ envelopeId: envelope.envelope_id, payload: { text: 'queued' } }),
    ]);
    const b = await connect();
    const again = await waitFor(() => b.ofType('slash_commands')[0], 5000, 'the redelivery');
    expect(again.envelope_id).toBe(envelope.envelope_id);
    b.ack(again.envelope_id, { text: 'already received' });
    expect((await acked).payload).toEqual({ text: 'already received' });
  });

  it('gives up on an envelope when no connection opens in time (dispatch_failed)', async () => {
    await expect(
      slack.socket.deliver('slash_commands', { command: '/ops' }, { waitForConnectionMs: 200 }),
    ).rejects.toThrow('dispatch_failed');
  });

  it('is what @slack/socket-mode expects: hello, envelopes, acks, disconnect', async () => {
    const client = new SocketModeClient({
      appToken: APP_TOKEN,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.url, retryConfig: { retries: 0 } },
      autoReconnectEnabled: false,
    });
    client.on(
      'slash_commands',
      ({ ack, body }: { ack: (r: unknown) => Promise<void>; body: { text: string } }) =>
        void ack({ text: `you said ${body.text}` }),
    );
    await client.start();
    try {
      const ack = await slack.socket.deliver('slash_commands', { command: '/ops', text: 'hi' });
      expect(ack.payload).toEqual({ text: 'you said hi' });
      const disconnected = new Promise((resolve) => client.once('disconnected', resolve));
      slack.socket.disconnect('refresh_requested');
      await disconnected;
      expect(slack.socket.connections[0]).toMatchObject({ closedBy: 'app', closeCode: 1000 });
    } finally {
      await client.disconnect();
    }
  });
});
