import { blockKitViolations } from '../../../../devkit/slack/block-kit-limits';

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const button = (overrides: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'a',
  text: plain('Go'),
  value: 'v',
  ...overrides,
});

describe('blockKitViolations (Slack: api.slack.com/reference/block-kit)', () => {
  it('passes blocks within every limit, at each limit exactly', () => {
    expect(
      blockKitViolations([
        { type: 'header', text: plain('h'.repeat(150)) },
        { type: 'section', text: mrkdwn('s'.repeat(3000)), block_id: 'b'.repeat(255) },
        { type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn('f'.repeat(2000))) },
        { type: 'context', elements: Array.from({ length: 10 }, () => mrkdwn('c')) },
        { type: 'divider' },
        {
          type: 'actions',
          elements: [
            button({
              text: plain('t'.repeat(75)),
              value: 'v'.repeat(2000),
              confirm: {
                title: plain('t'.repeat(100)),
                text: plain('x'.repeat(300)),
                confirm: plain('y'.repeat(30)),
                deny: plain('n'.repeat(30)),
              },
            }),
          ],
        },
      ]),
    ).toEqual([]);
  });

  it("names each violation with Slack's message and the JSON pointer to it", () => {
    expect(
      blockKitViolations([
        { type: 'header', text: mrkdwn('h') },
        { type: 'section', text: mrkdwn('s'.repeat(3001)) },
        { type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) },
        { type: 'section' },
        { type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) },
        { type: 'actions', elements: [] },
        {
          type: 'actions',
          elements: [
            button({ text: plain('t'.repeat(76)), value: 'v'.repeat(2001) }),
            button({
              action_id: 'a'.repeat(256),
              confirm: {
                title: plain('t'),
                text: plain(''),
                confirm: plain('y'),
                deny: plain('n'),
              },
            }),
          ],
        },
        { type: 'section', text: mrkdwn('s'), block_id: 'b'.repeat(256) },
        { type: 'rich_txt' },
      ]),
    ).toEqual([
      'must be plain_text [json-pointer:/blocks/0/text/type]',
      'must be less than 3001 characters [json-pointer:/blocks/1/text/text]',
      'must be no more than 10 items [json-pointer:/blocks/2/fields]',
      'must provide either text or fields [json-pointer:/blocks/3]',
      'must be no more than 10 items [json-pointer:/blocks/4/elements]',
      'must provide at least 1 item [json-pointer:/blocks/5/elements]',
      'must be less than 76 characters [json-pointer:/blocks/6/elements/0/text/text]',
      'must be less than 2001 characters [json-pointer:/blocks/6/elements/0/value]',
      'must be less than 256 characters [json-pointer:/blocks/6/elements/1/action_id]',
      'must be more than 0 characters [json-pointer:/blocks/6/elements/1/confirm/text/text]',
      'must be less than 256 characters [json-pointer:/blocks/7/block_id]',
      'unsupported type "rich_txt" [json-pointer:/blocks/8/type]',
    ]);
  });

  it('counts blocks per surface: 50 in a message, 100 in a modal or the Home tab', () => {
    const blocks = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    expect(blockKitViolations(blocks(50))).toEqual([]);
    expect(blockKitViolations(blocks(51))).toEqual([
      'must be no more than 50 items [json-pointer:/blocks]',
    ]);
    expect(blockKitViolations(blocks(100), 'modal')).toEqual([]);
    expect(blockKitViolations(blocks(101), 'home')).toEqual([
      'must be no more than 100 items [json-pointer:/blocks]',
    ]);
  });

  it('checks select options: at most 100, text 75 and value 150 characters', () => {
    const option = (text: string, value: string) => ({ text: plain(text), value });
    expect(
      blockKitViolations(
        [
          {
            type: 'input',
            label: plain('Database'),
            element: {
              type: 'static_select',
              action_id: 'db',
              placeholder: plain('p'.repeat(151)),
              options: [
                option('o'.repeat(76), 'v'.repeat(151)),
                ...Array.from({ length: 100 }, () => option('o', 'v')),
              ],
            },
          },
        ],
        'modal',
      ),
    ).toEqual([
      'must be less than 151 characters [json-pointer:/blocks/0/element/placeholder/text]',
      'must be no more than 100 items [json-pointer:/blocks/0/element/options]',
      'must be less than 76 characters [json-pointer:/blocks/0/element/options/0/text/text]',
      'must be less than 151 characters [json-pointer:/blocks/0/element/options/0/value]',
    ]);
  });

  it('refuses what is not a list of blocks', () => {
    expect(blockKitViolations({ type: 'section' })).toEqual([
      'must be an array [json-pointer:/blocks]',
    ]);
    expect(blockKitViolations(['section'])).toEqual(['must be an object [json-pointer:/blocks/0]']);
  });
});
