import fc from 'fast-check';
import { ErrorCode, FeedError } from '../../../src/errors';
import { htmlToText, nodesText, parseHtml } from '../../../src/feeds/html-text';

function refusal(run: () => unknown): FeedError {
  try {
    run();
  } catch (error) {
    if (error instanceof FeedError) return error;
    throw error;
  }
  throw new Error('expected a FeedError');
}

/** Shapes that made the regular expressions before htmlparser2 take quadratic or worse time. */
const ADVERSARIAL = [
  '<',
  '<br',
  '<script>',
  '<p><small></small><br><strong></strong>',
  '<p><small></small><br><strong>x</strong></p>',
  '&amp;&#x263A;&bogus;',
  '<a href="',
  '<!--',
  '<p/>',
];

describe('HTML to text', () => {
  it('keeps block ends and line breaks, drops script, style and comments, collapses blanks', () => {
    expect(
      htmlToText(
        '<div>one\t two</div><ul><li>a</li><li>b&nbsp; c</li></ul><style>p{}</style><!-- x -->tail<br>end',
      ),
    ).toBe('one two\na\nb c\ntail\nend');
    expect(htmlToText('<p>a</p>\n\n\n<p>\n</p><p>b</p>')).toBe('a\n\nb');
    expect(htmlToText('<p>unclosed <b>bold <p>next')).toBe('unclosed bold\nnext');
  });

  it('refuses HTML nested deeper than 64 elements, and accepts 64', () => {
    const nested = (depth: number) => `${'<span>'.repeat(depth)}x${'</span>'.repeat(depth)}`;
    expect(htmlToText(nested(64))).toBe('x');
    const error = refusal(() => htmlToText(nested(65)));
    expect(error.code).toBe(ErrorCode.FeedInvalid);
    expect(error.message).toBe('HTML content nested deeper than 64 elements');
    // Unclosed elements nest as well: a million of them stop at the 65th.
    expect(refusal(() => htmlToText('<a>'.repeat(1_000_000))).message).toMatch(/nested deeper/);
  });

  it('refuses SVG and MathML elements left open beyond the bound (a second stack in htmlparser2)', () => {
    expect(htmlToText('<div><svg></div>'.repeat(64))).toBe('');
    expect(refusal(() => htmlToText('<div><svg></div>'.repeat(65))).message).toBe(
      'HTML content with more than 64 SVG or MathML elements left open',
    );
    expect(refusal(() => htmlToText('<svg/>'.repeat(100_000))).code).toBe(ErrorCode.FeedInvalid);
    // Closed by their own end tags, any number is fine.
    expect(htmlToText('<p><svg><title>t</title></svg>x</p>'.repeat(1000))).toContain('tx');
  });

  it('does work in proportion to the input on adversarial shapes: nodes per character and visits per node', () => {
    for (const unit of ADVERSARIAL) {
      for (const size of [4_000, 64_000, 1_000_000]) {
        const html = unit.repeat(Math.ceil(size / unit.length));
        const document = parseHtml(html);
        const text = nodesText(document, document.root.children);
        expect(document.nodes).toBeLessThanOrEqual(html.length);
        expect(document.visits).toBeLessThanOrEqual(document.nodes);
        expect(text.length).toBeLessThanOrEqual(html.length);
      }
    }
  });

  it('never throws anything but a FeedError, never grows the text (fuzzed)', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(
        '<p>',
        '</p>',
        '<br>',
        '<br/>',
        '<small>',
        '</small>',
        '<strong>',
        '</strong>',
        '<script>',
        '</script>',
        '<svg>',
        '</div>',
        '<div>',
        '&amp;',
        '&lt;b&gt;',
        '&#x263A;',
        '&#0;',
        '<!--',
        '-->',
        '<![CDATA[',
        ' ',
        '\n',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const html = pieces.join('');
        let text: string;
        try {
          text = htmlToText(html);
        } catch (error) {
          if (error instanceof FeedError) return;
          throw error;
        }
        expect(text.length).toBeLessThanOrEqual(html.length);
        expect(text).toBe(text.trim());
        expect(text).not.toMatch(/\n\n\n/);
        if (!/[<&]/.test(html)) expect(text.replace(/\s+/g, '')).toBe(html.replace(/\s+/g, ''));
      }),
      { numRuns: 500 },
    );
  });
});
