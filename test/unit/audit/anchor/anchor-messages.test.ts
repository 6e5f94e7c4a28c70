import { anchoredText, healthText } from '../../../../src/audit/anchor/anchor-messages';
import type { SignedDigest } from '../../../../src/audit/anchor/digest';

describe('audit anchoring messages', () => {
  it('post the head hash with a date token, naming the digest and the key', () => {
    const digest = {
      seq: 42,
      hash: 'a'.repeat(64),
      at: '2025-11-21T16:00:00.000Z',
      keyId: '0123456789abcdef',
    } as SignedDigest;
    expect(anchoredText(digest, 'p/2025/11/21/x.json', 's3://acme/p/').text).toBe(
      [
        ':lock: Audit trail anchored at row 42, <!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z>',
        `head hash \`${'a'.repeat(64)}\``,
        'digest `p/2025/11/21/x.json` in s3://acme/p/, signed by key `0123456789abcdef`',
      ].join('\n'),
    );
  });

  it('escape the error texts they relay', () => {
    const text = healthText(
      { failing: true, tampered: false, error: '<!channel> & <http://x|y>' },
      'd',
    ).text;
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    expect(text).not.toContain('<!channel>');
    expect(healthText({ failing: true, tampered: true, error: 'row 4 <gone>' }, 'd').text).toMatch(
      /^:rotating_light: \*The audit trail no longer extends its last signed digest\*: row 4 &lt;gone&gt;\n/,
    );
    expect(healthText({ failing: false, name: 'p/x.json' }, 's3://b/p/').text).toBe(
      ':white_check_mark: Audit digests are written again (s3://b/p/, `p/x.json`).',
    );
  });
});
