import { LogLevel, WebClient } from '@slack/web-api';
import { type FakeSlackApi, startFakeSlackApi } from '../../../../devkit/slack/fake-slack-api';

/** The fake's modals, through the real WebClient: views.open, views.push, views.update, users.info's tz. */
describe('fake Slack Web API: views', () => {
  let slack: FakeSlackApi;
  let client: WebClient;
  const view = (blocks: unknown[] = [], title = 'Form') => ({
    type: 'modal' as const,
    callback_id: 'form',
    title: { type: 'plain_text' as const, text: title },
    blocks: blocks as never[],
  });
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  beforeEach(async () => {
    slack = await startFakeSlackApi({ users: { U1: 'alice' }, timeZones: { U1: 'Europe/Paris' } });
    client = new WebClient('xoxb-test', {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
  });
  afterEach(() => slack.stop());

  it('opens a view for the trigger’s user, once per trigger, then pushes and updates it by hash', async () => {
    slack.issueTrigger('t1', 'U1');
    const opened = await client.views.open({ trigger_id: 't1', view: view([section('one')]) });
    expect(opened.view).toMatchObject({
      id: 'V0FAKE1',
      callback_id: 'form',
      state: { values: {} },
    });
    await expect(client.views.open({ trigger_id: 't1', view: view() })).rejects.toMatchObject({
      data: { error: 'trigger_exchanged' },
    });
    slack.issueTrigger('t2', 'U1');
    const pushed = await client.views.push({ trigger_id: 't2', view: view([section('two')]) });
    expect(slack.view(pushed.view!.id!)).toMatchObject({ user: 'U1', previousViewId: 'V0FAKE1' });

    await expect(
      client.views.update({ view_id: 'V0FAKE1', hash: 'stale', view: view([section('x')]) }),
    ).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    await client.views.update({
      view_id: 'V0FAKE1',
      hash: opened.view!.hash!,
      view: view([section('one, updated')]),
    });
    expect(slack.view('V0FAKE1')!.view.blocks).toEqual([section('one, updated')]);
    expect((await client.users.info({ user: 'U1' })).user?.tz).toBe('Europe/Paris');
  });

  it('refuses a view over Block Kit’s modal limits with Slack’s reasons, and counts it as a refusal', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => section(String(i)));
    await expect(
      client.views.open({ trigger_id: 't3', view: view(tooMany, 'A title longer than 24 chars') }),
    ).rejects.toMatchObject({
      data: {
        error: 'invalid_arguments',
        response_metadata: {
          messages: [
            'must be less than 25 characters [json-pointer:/view/title/text]',
            'must be no more than 100 items [json-pointer:/view/blocks]',
          ],
        },
      },
    });
    const options = Array.from({ length: 101 }, (_, i) => ({
      text: { type: 'plain_text', text: `o${i}` },
      value: `o${i}`,
    }));
    await expect(
      client.views.open({
        trigger_id: 't4',
        view: view([
          {
            type: 'input',
            block_id: 'f',
            label: { type: 'plain_text', text: 'F' },
            element: { type: 'static_select', action_id: 'f', options },
          },
        ]),
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    expect(slack.views()).toEqual([]);
    expect(slack.blockKitRefusals().map((r) => r.method)).toEqual(['views.open', 'views.open']);
    expect(slack.blockKitRefusals()[1]!.messages).toEqual([
      'must be no more than 100 items [json-pointer:/view/blocks/0/element/options]',
    ]);
  });
});
