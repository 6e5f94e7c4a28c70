import fc from 'fast-check';
import { FeedError } from '../../../src/errors';
import {
  documentUpdates,
  entryUpdates,
  statusKey,
  wordsSayResolved,
} from '../../../src/feeds/entry-updates';
import { decodeEntities, htmlToText, parseHtml } from '../../../src/feeds/html-text';

const AT = Date.parse('2026-01-02T10:00:00Z');

describe('entry updates', () => {
  it('dates year-less Statuspage fragments in the entry year, or the year before', () => {
    const html =
      "<p><small>Jan <var data-var='date'>2</var>, <var data-var='time'>09:30</var> UTC</small><br><strong>Resolved</strong> - Fixed.</p>" +
      "<p><small>Dec <var data-var='date'>31</var>, <var data-var='time'>23:50</var> UTC</small><br><strong>In progress</strong> - Started.</p>";
    expect(
      entryUpdates('e1', html, 'title', AT).map((u) => [
        u.status,
        new Date(u.at).toISOString(),
        u.body,
      ]),
    ).toEqual([
      ['in_progress', '2025-12-31T23:50:00.000Z', 'Started.'],
      ['resolved', '2026-01-02T09:30:00.000Z', 'Fixed.'],
    ]);
  });

  it('makes an entry without fragments one update whose id follows its status, not its text', () => {
    const [open] = entryUpdates('e1', '<p>Investigating errors</p>', 'Errors in eu-west-1', AT);
    const [edited] = entryUpdates(
      'e1',
      '<p>Investigating elevated errors</p>',
      'Errors in eu-west-1',
      AT,
    );
    const [resolved] = entryUpdates(
      'e1',
      '<p>The issue is resolved.</p>',
      'Errors in eu-west-1',
      AT,
    );
    expect(open).toMatchObject({ status: 'reported', body: 'Investigating errors', at: AT });
    expect(edited!.id).toBe(open!.id);
    expect(resolved!.status).toBe('resolved');
    expect(resolved!.id).not.toBe(open!.id);
  });

  it('normalizes statuses and recognizes resolution words', () => {
    expect(statusKey(' In Progress ')).toBe('in_progress');
    expect(wordsSayResolved('Service is operating normally: [RESOLVED] x')).toBe(true);
    expect(wordsSayResolved('Unresolvable? no: investigating')).toBe(false);
  });

  it('turns HTML into plain text with line breaks and decoded entities', () => {
    expect(
      htmlToText('<p>a &amp; b</p><p>c<br/>d&#39;s &#x263A; &bogus;</p><script>x()</script>'),
    ).toBe("a & b\nc\nd's ☺ &bogus;");
    expect(decodeEntities('&#0; &#xD800; &lt;ok&gt;')).toBe('&#0; &#xD800; <ok>');
  });

  it('finds fragments anywhere in the tree, in order, and never inside another fragment', () => {
    const fragment = (time: string, status: string, body: string) =>
      `<p><small>Jan <var>2</var>, ${time} UTC</small><br /><strong>${status}</strong> — ${body}</p>`;
    const html =
      `<div>${fragment('09:00', 'Investigating', 'Looking.')}</div>` +
      `<p>not one</p><section><span>${fragment('09:30', 'Identified', 'Found <b>it</b>.')}</span></section>` +
      `<p><small>Jan 2, 09:40 UTC</small><br><strong>Monitoring</strong> - <span><p><small>Jan 2, 09:45 UTC</small><br><strong>Nested</strong></p></span></p>`;
    expect(entryUpdates('e1', html, 'title', AT).map((u) => [u.status, u.body])).toEqual([
      ['investigating', 'Looking.'],
      ['identified', 'Found it.'],
      ['monitoring', 'Jan 2, 09:45 UTC\nNested'],
    ]);
  });

  it('does work in proportion to the input on the shapes that took cubic time before', () => {
    // 60 KB of nested <p><small></small><br> took 9.5 s with the regular expression.
    const shapes = [
      '<p><small></small><br><strong></strong>',
      '<p><small></small><br><strong>',
      '<p><small></small><br>',
      '<p><small>Jan 1, 00:00 UTC</small><br><strong>x</strong> - y</p>',
      '<p><small><p><small></small><br><strong>',
    ];
    for (const unit of shapes) {
      for (const size of [6_000, 60_000, 600_000]) {
        const html = unit.repeat(Math.ceil(size / unit.length));
        let document;
        try {
          document = parseHtml(html);
        } catch (error) {
          // Unclosed elements nest: refused after 64 of them, having looked at little of the input.
          expect(error).toBeInstanceOf(FeedError);
          continue;
        }
        const updates = documentUpdates(document, 'e', 'title', AT);
        expect(updates.length).toBeGreaterThan(0);
        expect(document.nodes).toBeLessThanOrEqual(html.length);
        expect(document.visits).toBeLessThanOrEqual(3 * document.nodes);
      }
    }
  });

  it('reads back any timeline written as Statuspage writes it, whatever surrounds it (fuzzed)', () => {
    const word = fc.stringMatching(/^[A-Za-z][a-z]{0,9}$/);
    const update = fc.record({
      day: fc.integer({ min: 1, max: 28 }),
      minute: fc.integer({ min: 0, max: 1439 }),
      status: fc.array(word, { minLength: 1, maxLength: 3 }),
      body: fc.array(word, { maxLength: 12 }),
    });
    const noise = fc.constantFrom(
      '',
      ' ',
      '\n',
      '<p>aside</p>',
      '<hr>',
      '<div>x</div>',
      '<!-- c -->',
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(update, noise), { minLength: 1, maxLength: 20 }),
        (timeline) => {
          const html = timeline
            .map(([u, around]) => {
              const hh = String(Math.floor(u.minute / 60)).padStart(2, '0');
              const mm = String(u.minute % 60).padStart(2, '0');
              const body = u.body.map((w) => w.replace(/^a/, '&amp;a')).join(' ');
              return `${around}<p><small>Dec <var data-var='date'>${u.day}</var>, <var data-var='time'>${hh}:${mm}</var> UTC</small><br><strong>${u.status.join(' ')}</strong> - ${body}</p>${around}`;
            })
            .join('');
          const updates = entryUpdates('e', html, 'title', AT);
          const expected = timeline.map(([u]) => ({
            status: statusKey(u.status.join(' ')),
            body: u.body.join(' ').replace(/^a/, '&a').replace(/ a/g, ' &a'),
            at: Date.UTC(2025, 11, u.day, Math.floor(u.minute / 60), u.minute % 60),
          }));
          const key = (u: { status: string; body: string; at: number }) =>
            `${u.at} ${u.status} ${u.body}`;
          expect(updates.map(key).sort()).toEqual(expected.map(key).sort());
        },
      ),
      { numRuns: 200 },
    );
  });
});
