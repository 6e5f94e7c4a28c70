import fc from 'fast-check';
import { blockKitViolations } from '../../../devkit/slack/block-kit-limits';
import { actions, button, context, header, section } from '../../../src/slack/blocks';
import { code, md, text } from '../../../src/slack/mrkdwn';

/** Text from outside: any characters, now and then far longer than any Block Kit limit. */
const outside = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 2900, maxLength: 9000 }),
  fc.string({
    unit: fc.constantFrom('<', '>', '&', '*', '`', 'x'),
    minLength: 1000,
    maxLength: 5000,
  }),
);

describe('Block Kit builders (src/slack/blocks.ts)', () => {
  it('never build a block Slack would refuse, whatever text they are given', () => {
    fc.assert(
      fc.property(
        outside,
        outside,
        fc.array(outside, { maxLength: 14 }),
        fc.string({ maxLength: 2000 }),
        (title, body, notes, value) => {
          const blocks = [
            header(title),
            section(md`${text(body)} ${code(title)}`),
            context(text(title), ...notes.map((note) => text(note))),
            actions([
              button({
                actionId: 'a',
                label: title,
                value,
                confirm: { title, text: text(body), confirm: title, deny: body },
              }),
              button({ actionId: 'b', label: body, value: '' }),
            ]),
          ];
          expect(blockKitViolations(blocks)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps at most 25 buttons in a row of actions, and 10 elements in a context', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      button({ actionId: `a${i}`, label: `${i}`, value: `${i}` }),
    );
    const notes = Array.from({ length: 12 }, (_, i) => text(`${i}`));
    expect(blockKitViolations([actions(many), context(text('first'), ...notes)])).toEqual([]);
  });

  it('refuses a button value over the limit rather than cut what a click carries', () => {
    expect(() => button({ actionId: 'a', label: 'Go', value: 'v'.repeat(2001) })).toThrow(
      'a button value is at most 2000 characters',
    );
  });
});
