import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import {
  type FakeSlackApi,
  type RecordedCall,
  startFakeSlackApi,
} from '../../../../devkit/slack/fake-slack-api';

describe('fake Slack Web API', () => {
  let slack: FakeSlackApi;
  let client: WebClient;

  beforeEach(async () => {
    slack = await startFakeSlackApi({
      users: { U1: 'alice' },
      channels: { C0ALERT: 'devops_alert' },
    });
    client = new WebClient('xoxb-test', {
      slackApiUrl: slack.url,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
  });
  afterEach(() => slack.stop());

  it('posts, threads, edits and deletes messages and records every call', async () => {
    const seen: RecordedCall[] = [];
    slack.on('call', (call) => seen.push(call));
    const root = await client.chat.postMessage({ channel: '#devops_alert', text: 'root' });
    expect(root).toMatchObject({ ok: true, channel: 'C0ALERT' });
    expect(root.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await client.chat.postMessage({
      channel: 'C0ALERT',
      thread_ts: root.ts,
      text: 'reply',
    });
    expect(Number(reply.ts)).toBeGreaterThan(Number(root.ts));
    await client.chat.update({ channel: 'C0ALERT', ts: root.ts!, text: 'root, edited' });

    expect(slack.messages('#devops_alert')).toEqual([
      expect.objectContaining({ ts: root.ts, text: 'root, edited', edited: expect.any(Object) }),
      expect.objectContaining({ ts: reply.ts, text: 'reply', thread_ts: root.ts }),
    ]);
    await client.chat.delete({ channel: 'C0ALERT', ts: reply.ts! });
    expect(slack.messages().map((m) => m.text)).toEqual(['root, edited']);
    expect(slack.calls.map((c) => c.method)).toEqual([
      'chat.postMessage',
      'chat.postMessage',
      'chat.update',
      'chat.delete',
    ]);
    expect(seen).toEqual(slack.calls);
    expect(slack.calls[1]!.args).toMatchObject({
      channel: 'C0ALERT',
      thread_ts: root.ts,
      text: 'reply',
    });
  });

  it('takes JSON bodies as well as forms, with blocks either way', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    await client.chat.postMessage({ channel: 'C0ALERT', text: 'form', blocks });
    const response = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer xoxb-test',
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: 'C0ALERT', text: 'json', blocks }),
    });
    expect(await response.json()).toMatchObject({ ok: true });
    expect(slack.messages('C0ALERT').map((m) => [m.text, m.blocks])).toEqual([
      ['form', blocks],
      ['json', blocks],
    ]);
  });

  it('wants a token', async () => {
    const response = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'channel=C0ALERT&text=hi',
    });
    expect(await response.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(slack.messages()).toEqual([]);
  });

  it('answers Slack errors for bad calls', async () => {
    await expect(
      client.chat.update({ channel: 'C0ALERT', ts: '1.000001', text: 'x' }),
    ).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'message_not_found' },
    });
    await expect(
      client.chat.postMessage({ channel: 'C0ALERT', text: 'x'.repeat(40_001) }),
    ).rejects.toMatchObject({
      data: { error: 'msg_too_long' },
    });
    await expect(
      client.chat.postMessage({ channel: 'C0ALERT', thread_ts: '1.000001', text: 'x' }),
    ).rejects.toMatchObject({
      data: { error: 'thread_not_found' },
    });
  });

  it("refuses blocks over Block Kit's limits as Slack does, and lists them", async () => {
    const tooLong = [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }];
    await expect(
      client.chat.postMessage({ channel: 'C0ALERT', text: 'x', blocks: tooLong }),
    ).rejects.toMatchObject({
      data: {
        error: 'invalid_blocks',
        response_metadata: {
          messages: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
        },
      },
    });
    const empty = [{ type: 'context', elements: [] }];
    await expect(
      client.chat.postEphemeral({ channel: 'C0ALERT', user: 'U1', text: 'x', blocks: empty }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    const respond = await fetch(slack.responseUrl('r1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x', blocks: tooLong }),
    });
    expect(await respond.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(slack.messages('C0ALERT')).toEqual([]);
    expect(slack.blockKitRefusals()).toEqual([
      {
        method: 'chat.postMessage',
        messages: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      },
      {
        method: 'chat.postEphemeral',
        messages: ['must provide at least 1 item [json-pointer:/blocks/0/elements]'],
      },
      {
        method: 'respond',
        messages: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      },
    ]);
  });

  it("publishes a user's Home tab, refusing it over the Home tab's limits (100 blocks) as Slack does", async () => {
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'a line' } };
    const first = await client.views.publish({
      user_id: 'U1',
      view: { type: 'home', blocks: Array.from({ length: 100 }, () => section) },
    });
    expect(first).toMatchObject({ ok: true, view: { type: 'home' } });
    await expect(
      client.views.publish({
        user_id: 'U1',
        view: { type: 'home', blocks: Array.from({ length: 101 }, () => section) },
      }),
    ).rejects.toMatchObject({
      data: {
        error: 'invalid_blocks',
        response_metadata: { messages: ['must be no more than 100 items [json-pointer:/blocks]'] },
      },
    });
    await expect(
      client.views.publish({
        user_id: 'U1',
        view: {
          type: 'home',
          blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
        },
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(
      client.views.publish({
        user_id: 'U1',
        view: {
          type: 'home',
          blocks: Array.from({ length: 90 }, () => ({
            ...section,
            text: { type: 'mrkdwn', text: 'x'.repeat(2900) },
          })),
        },
      }),
    ).rejects.toMatchObject({ data: { error: 'view_too_large' } });
    // What the user sees is the last view Slack accepted; it keeps its id, with a new hash.
    const second = await client.views.publish({
      user_id: 'U1',
      view: { type: 'home', blocks: [section] },
    });
    expect(slack.homeView('U1')).toMatchObject({ user: 'U1', view: { blocks: [section] } });
    expect(second.view?.id).toBe(first.view?.id);
    expect(second.view?.hash).not.toBe(first.view?.hash);
    expect(slack.homeView('U2')).toBeUndefined();
    expect(slack.blockKitRefusals().map((r) => r.method)).toEqual([
      'views.publish',
      'views.publish',
    ]);
  });

  it('plays scripted answers in order, then answers normally again', async () => {
    slack.script('chat.postMessage', [
      { status: 429, retryAfter: 3 },
      { status: 503 },
      { error: 'channel_not_found' },
    ]);
    const post = () => client.chat.postMessage({ channel: 'C0ALERT', text: 'x' });
    await expect(post()).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 3 });
    await expect(post()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    await expect(post()).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(post()).resolves.toMatchObject({ ok: true });
    expect(slack.calls.map((c) => c.status)).toEqual([429, 503, 200, 200]);
    expect(slack.messages()).toHaveLength(1);
  });

  it('fails every call until a point in time', async () => {
    slack.failUntil(Date.now() + 300, { status: 500 });
    await expect(client.auth.test()).rejects.toMatchObject({ statusCode: 500 });
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, team_id: 'T0FAKE' });
  });

  it('holds an answer back when told to (a slow Slack)', async () => {
    slack.script('auth.test', [{ delayMs: 300 }]);
    const started = Date.now();
    await client.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('knows users and channels, and records ephemerals and response_url posts', async () => {
    await expect(client.users.info({ user: 'U1' })).resolves.toMatchObject({
      user: { name: 'alice' },
    });
    await expect(client.users.info({ user: 'U2' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });
    await expect(client.conversations.info({ channel: 'C0ALERT' })).resolves.toMatchObject({
      channel: { name: 'devops_alert' },
    });
    await client.chat.postEphemeral({ channel: 'C0ALERT', user: 'U1', text: 'only you' });
    expect(slack.ephemerals('#devops_alert')).toEqual([
      expect.objectContaining({ user: 'U1', text: 'only you' }),
    ]);

    const response = await fetch(slack.responseUrl('abc'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'done' }),
    });
    expect(response.status).toBe(200);
    expect(slack.calls.at(-1)).toMatchObject({
      method: 'respond',
      args: { response_id: 'abc', text: 'done' },
    });
  });
});
