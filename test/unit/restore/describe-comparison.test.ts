import type { TableComparison } from '../../../src/mysql/compare-tables';
import { describeComparison, describeKey } from '../../../src/restore/describe-comparison';

const none = { count: 0, sample: [] };

describe('describeKey', () => {
  it.each([
    [['42'], '42'],
    [['-7'], '-7'],
    [['0'], '0'],
    [['9007199254740993'], '9007199254740993'],
    [['12.500000'], '12.500000'],
    [['-0.5'], '-0.5'],
  ])('shows the number %j bare', (values, shown) => {
    expect(describeKey(values)).toBe(shown);
  });

  it.each([
    [['eu'], "'eu'"],
    [[''], "''"],
    [["O'Brien"], "'O''Brien'"],
    [["''"], "''''''"],
    [['1e5'], "'1e5'"],
    [['.5'], "'.5'"],
    [['12.'], "'12.'"],
    [['4 2'], "'4 2'"],
    [['Zoë 😀'], "'Zoë 😀'"],
    [['NULL'], "'NULL'"],
  ])('quotes the string %j, doubling quotes inside it', (values, shown) => {
    expect(describeKey(values)).toBe(shown);
  });

  it('shows NULL as NULL, unquoted, unlike the string NULL', () => {
    expect(describeKey([null])).toBe('NULL');
    expect(describeKey(['NULL'])).toBe("'NULL'");
  });

  it('shows binary as hex, every byte, including an empty value', () => {
    expect(describeKey([Buffer.from([0x00, 0x0f, 0xff])])).toBe('0x000fff');
    expect(describeKey([Buffer.from("'")])).toBe('0x27');
    expect(describeKey([Buffer.alloc(0)])).toBe('0x');
  });

  it('shows a composite key as a parenthesised list in key order', () => {
    expect(describeKey(['7', 'eu'])).toBe("(7, 'eu')");
    expect(describeKey([null, Buffer.from([1]), "it's", '-3'])).toBe("(NULL, 0x01, 'it''s', -3)");
  });
});

describe('describeComparison', () => {
  const comparison = (over: Partial<TableComparison> = {}): TableComparison => ({
    key: ['id'],
    missing: none,
    changed: none,
    extra: none,
    ...over,
  });

  it('says there are no differences of any kind when the tables match', () => {
    expect(describeComparison(comparison(), 'shop.orders', '2025-11-21T15:59:30Z').text).toBe(
      [
        'Production shop.orders compared with the restored copy as of 2025-11-21T15:59:30Z, by id:',
        '• missing from production: none',
        '• changed in production: none',
        '• extra in production: none',
      ].join('\n'),
    );
  });

  it('gives counts and the sampled keys of each kind, marking when there are more than shown', () => {
    const text = describeComparison(
      comparison({
        key: ['order_id', 'sku'],
        missing: {
          count: 3,
          sample: [
            ['1', 'a'],
            ['2', "b'c"],
          ],
        },
        changed: { count: 1, sample: [['5', 'x']] },
        extra: {
          count: 2,
          sample: [
            ['8', null],
            ['9', 'z'],
          ],
        },
      }),
      'shop.order_lines',
      '2025-11-21T15:59:30Z',
    );
    expect(text.text.split('\n')).toEqual([
      'Production shop.order_lines compared with the restored copy as of 2025-11-21T15:59:30Z, by order_id, sku:',
      "• missing from production: *3* rows (deleted since) (keys (1, 'a'), (2, 'b''c'), …)",
      "• changed in production: *1* rows (updated since) (keys (5, 'x'))",
      "• extra in production: *2* rows (written since) (keys (8, NULL), (9, 'z'))",
    ]);
  });

  it('gives only the count when no keys were sampled (sample size 0)', () => {
    const text = describeComparison(
      comparison({ missing: { count: 12, sample: [] } }),
      'shop.orders',
      '2025-11-21T15:59:30Z',
    );
    expect(text.text.split('\n')[1]).toBe('• missing from production: *12* rows (deleted since)');
  });

  it('escapes keys for Slack, so a key that looks like a mention or a link is shown and not acted on', () => {
    const text = describeComparison(
      comparison({
        key: ['name'],
        missing: {
          count: 3,
          sample: [['<!channel>'], ['<https://evil.example|click>'], ['a & b']],
        },
      }),
      'shop.tags',
      '2025-11-21T15:59:30Z',
    );
    expect(text.text.split('\n')[1]).toBe(
      "• missing from production: *3* rows (deleted since) (keys '&lt;!channel&gt;', '&lt;https://evil.example|click&gt;', 'a &amp; b')",
    );
    expect(text.text).not.toMatch(/<!channel>|<https:/);
  });

  it('shows binary keys as hex in the sample', () => {
    const text = describeComparison(
      comparison({ key: ['uuid'], extra: { count: 1, sample: [[Buffer.from('abcd', 'hex')]] } }),
      'shop.sessions',
      '2025-11-21T15:59:30Z',
    );
    expect(text.text.split('\n')[3]).toBe(
      '• extra in production: *1* rows (written since) (keys 0xabcd)',
    );
  });
});
