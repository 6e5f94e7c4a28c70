import fc from 'fast-check';
import {
  asPlainText,
  code,
  codeBlock,
  date,
  join,
  link,
  md,
  mention,
  mentionGroup,
  storedMrkdwn,
  text,
  truncate,
} from '../../../src/slack/mrkdwn';
import { isoSeconds } from '../../../src/util/time';

/** What Slack would read as a control sequence: `<` opens a mention, link or token. */
const CONTROL = /<[@#!]|<https?:|<mailto:/;

/** Slack's own decoding of the three entities, as a reader sees the text. */
const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('md: the one way text reaches a message', () => {
  it('escapes every interpolated string and keeps the literal markup', () => {
    const typed = '<!channel> <https://evil.example|Approve here> & <@U0ADMIN>';
    expect(md`*${typed}*`.text).toBe(
      '*&lt;!channel&gt; &lt;https://evil.example|Approve here&gt; &amp; &lt;@U0ADMIN&gt;*',
    );
  });

  it('keeps markup built by the layer: mentions, dates, links, code', () => {
    const built = md`${mention('U0ALICE')} at ${date(Date.UTC(2025, 10, 21, 16))} ${link('https://status.example/x', 'details')} ${code('a<b')}`;
    expect(built.text).toBe(
      '<@U0ALICE> at <!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z> <https://status.example/x|details> `a&lt;b`',
    );
  });

  it('escapes a string that merely looks like markup the layer built', () => {
    const forged = '<@U0ADMIN>';
    expect(md`${forged}`.text).toBe('&lt;@U0ADMIN&gt;');
    expect(md`${String(mention('U0ADMIN'))}`.text).toBe('&lt;@U0ADMIN&gt;');
  });

  it('shows invisible and bidirectional controls instead of letting them hide text', () => {
    expect(md`${'v1.2\u202E3.1v'}`.text).toBe('v1.2⟨U+202E⟩3.1v');
    expect(text('a\u2066b\u200Bc\u0007d').text).toBe('a⟨U+2066⟩b⟨U+200B⟩c⟨U+0007⟩d');
    // lines, tabs and emoji sequences are kept
    expect(text('a\n\tb 👩‍💻').text).toBe('a\n\tb 👩‍💻');
  });

  it('never lets interpolated text open a control sequence, and shows it as typed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const rendered = md`x ${value} y`.text;
        expect(CONTROL.test(rendered)).toBe(false);
        expect(rendered).not.toMatch(/[<>]/);
        const shown = decode(rendered.slice(2, -2));
        const expected = value.replace(
          /(?![\n\t\u200d])[\p{Cc}\p{Cf}]/gu,
          (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`,
        );
        expect(shown).toBe(expected);
      }),
    );
  });

  it('joins pieces with the bot separator, escaping the strings among them', () => {
    expect(join([md`*a*`, '<b>', 3], ' · ').text).toBe('*a* · &lt;b&gt; · 3');
  });
});

describe('code spans and blocks', () => {
  it('cannot be ended early by a backquote', () => {
    expect(code('x` <!here> `y').text).toBe('`xˋ &lt;!here&gt; ˋy`');
    expect(codeBlock('out\n```\n<!channel>').text).toBe('```\nout\nˋˋˋ\n&lt;!channel&gt;\n```');
  });

  it('never renders an empty span', () => {
    expect(code('').text).toBe('` `');
  });
});

describe('mentions and links the bot means', () => {
  it('mentions only real Slack ids; anything else is text', () => {
    expect(mention('W0123ABC').text).toBe('<@W0123ABC>');
    expect(mention('U1> <!channel').text).toBe('U1&gt; &lt;!channel');
    expect(mentionGroup('S0123').text).toBe('<!subteam^S0123>');
    expect(mentionGroup('!channel').text).toBe('!channel');
  });

  it('links only plain http(s) URLs; the label is text', () => {
    expect(link('javascript:alert(1)', 'x').text).toBe('x');
    expect(link('https://a.example/?q=<x>', 'x').text).toBe('x');
    expect(link('https://a.example/?a=1&b=2', '<!channel>').text).toBe(
      '<https://a.example/?a=1&amp;b=2|&lt;!channel&gt;>',
    );
  });
});

describe('date tokens', () => {
  it('gives the token with the UTC ISO fallback', () => {
    expect(date(new Date('2025-11-21T16:00:00Z')).text).toBe(
      '<!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z>',
    );
  });

  it('takes epoch milliseconds and a custom format, dropping sub-second parts', () => {
    expect(date(1763740800999, '{time_secs}').text).toBe(
      '<!date^1763740800^{time_secs}|2025-11-21T16:00:00Z>',
    );
  });

  it('refuses an invalid date instead of printing NaN', () => {
    expect(() => date(new Date('nope'))).toThrow(RangeError);
  });

  it('always agrees between token seconds and fallback text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800000 }), (ms) => {
        const match = /^<!date\^(\d+)\^[^|]+\|([^>]+)>$/.exec(date(ms).text);
        expect(match).not.toBeNull();
        expect(Number(match![1]) * 1000).toBe(Date.parse(match![2]!));
        expect(match![2]).toBe(isoSeconds(ms));
      }),
    );
  });
});

describe('truncate and plain text', () => {
  it('cuts without leaving half an entity, token or code span', () => {
    const long = md`${'&'.repeat(10)} ${date(0)} ${code('abcdefghij')}`;
    for (let max = 2; max < long.text.length; max++) {
      const cut = truncate(long, max).text;
      expect(cut).not.toMatch(/&[a-z]*…$/);
      expect(cut.lastIndexOf('<') <= cut.lastIndexOf('>')).toBe(true);
      expect((cut.match(/`/g) ?? []).length % 2).toBe(0);
    }
  });

  it('shows mrkdwn as a reader would where Slack shows plain text', () => {
    expect(
      asPlainText(
        md`${mention('U1A')} at ${date(0)}: ${'a<b'} ${link('https://x.example', 'here')}`,
      ),
    ).toBe('@U1A at 1970-01-01T00:00:00Z: a<b here');
  });

  it('reads back what it stored', () => {
    expect(md`${storedMrkdwn(md`*${'<x>'}*`.text)}`.text).toBe('*&lt;x&gt;*');
  });
});
