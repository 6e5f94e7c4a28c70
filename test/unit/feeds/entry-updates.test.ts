import { entryUpdates, statusKey, wordsSayResolved } from '../../../src/feeds/entry-updates';
import { decodeEntities, htmlToText } from '../../../src/feeds/html-text';

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
});
