import fc from 'fast-check';
import { DnsInputError } from '../../../src/dns/dns-input-error';
import {
  RECORD_TYPES,
  canonicalValue,
  parseRecordValue,
  sameValues,
  type RecordType,
} from '../../../src/dns/record-value';
import { decodeTxtValue, encodeTxtValue } from '../../../src/dns/txt-value';
import { dnsErrorOf } from '../../helpers/dns-input-error';

describe('parseRecordValue', () => {
  it.each<[RecordType, string, string]>([
    ['CNAME', 'MyApp.Cache.AmazonAWS.com', 'myapp.cache.amazonaws.com.'],
    ['CNAME', 'x.example.internal.', 'x.example.internal.'],
    ['A', '10.0.1.17', '10.0.1.17'],
    ['A', '0.0.0.0', '0.0.0.0'],
    ['AAAA', 'FD00:0010:0000:0000:0000:0000:0000:0017', 'fd00:10::17'],
    ['AAAA', '::ffff:10.0.0.1', '::ffff:a00:1'],
    ['SRV', '10  5 3306 DB.example.internal', '10 5 3306 db.example.internal.'],
    ['TXT', 'v=1 "quoted" back\\slash', '"v=1 \\"quoted\\" back\\\\slash"'],
  ])('%s %s → %s', (type, text, value) => {
    expect(parseRecordValue(type, text)).toBe(value);
  });

  it.each<[RecordType, string, string]>([
    ['CNAME', 'db-billing', 'the CNAME target "db-billing" is a single label'],
    ['CNAME', 'a b.example', 'label "a b" of the CNAME target is not valid'],
    ['A', '10.0.0', 'an A record takes four numbers 0-255'],
    ['A', '10.0.0.256', 'the fourth number of "10.0.0.256" ("256") is not 0-255'],
    ['A', '10.0.x.1', 'the third number of "10.0.x.1" ("x") is not 0-255'],
    ['A', '010.0.0.1', 'the first number of "010.0.0.1" ("010") has a leading zero (write 10)'],
    ['AAAA', '10.0.0.1', '"10.0.0.1" is not an IPv6 address'],
    ['AAAA', 'fe80::1%eth0', 'is not an IPv6 address'],
    ['AAAA', '1::2::3', 'is not an IPv6 address'],
    ['SRV', '10 5 3306', 'an SRV value is four fields'],
    ['SRV', '10 5 70000 db.example.internal', 'the SRV port "70000" is not a whole number 0-65535'],
    ['SRV', 'x 5 1 db.example.internal', 'the SRV priority "x"'],
    ['SRV', '1 -5 1 db.example.internal', 'the SRV weight "-5"'],
    ['SRV', '1 5 1 db', 'the SRV target "db" is a single label'],
    ['TXT', '', 'the TXT value is empty'],
    ['TXT', 'y'.repeat(4000), 'Route53 takes at most 4000'],
  ])('refuses %s %j: %s', (type, text, message) => {
    expect(dnsErrorOf(() => parseRecordValue(type, text))).toContain(message);
  });

  it('fuzz: every type throws nothing but DnsInputError, and parsing is idempotent', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RECORD_TYPES),
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.ipV4(),
          fc.ipV6(),
          fc.domain(),
          fc
            .tuple(fc.nat(70000), fc.nat(70000), fc.nat(70000), fc.domain())
            .map((t) => t.join(' ')),
        ),
        (type, text) => {
          let value: string;
          try {
            value = parseRecordValue(type, text);
          } catch (error) {
            expect(error).toBeInstanceOf(DnsInputError);
            return;
          }
          expect(canonicalValue(type, value)).toBe(value);
          if (type !== 'TXT') expect(parseRecordValue(type, value)).toBe(value);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('TXT values', () => {
  it('splits at 255 bytes into quoted strings', () => {
    const text = 'a'.repeat(600);
    expect(encodeTxtValue(text)).toBe(
      `"${'a'.repeat(255)}" "${'a'.repeat(255)}" "${'a'.repeat(90)}"`,
    );
  });

  it('writes bytes outside printable ASCII as \\ddd octal', () => {
    expect(encodeTxtValue('é\n')).toBe('"\\303\\251\\012"');
  });

  it('fuzz: decode(encode(text)) is the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 700 }), (text) => {
        let value: string;
        try {
          value = encodeTxtValue(text);
        } catch (error) {
          expect(error).toBeInstanceOf(DnsInputError);
          return;
        }
        expect(decodeTxtValue(value)).toBe(text);
        // Each quoted string (escapes skipped: `\" ` inside a string is not a boundary) holds
        // at most 255 bytes.
        const strings = value.match(/"(?:[^"\\]|\\.)*"/g) ?? [];
        expect(strings.join(' ')).toBe(value);
        for (const quoted of strings)
          expect(Buffer.byteLength(decodeTxtValue(quoted))).toBeLessThanOrEqual(255);
      }),
    );
  });

  it('fuzz: decoding any string throws nothing but DnsInputError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (value) => {
        try {
          decodeTxtValue(value);
        } catch (error) {
          expect(error).toBeInstanceOf(DnsInputError);
        }
      }),
    );
  });
});

describe('sameValues', () => {
  it('compares canonical values as sets', () => {
    expect(sameValues('CNAME', ['X.example.com'], ['x.example.com.'])).toBe(true);
    expect(sameValues('A', ['10.0.0.1', '10.0.0.2'], ['10.0.0.2', '10.0.0.1'])).toBe(true);
    expect(sameValues('A', ['10.0.0.1'], ['10.0.0.2'])).toBe(false);
    expect(sameValues('TXT', ['"ab" "c"'], ['"abc"'])).toBe(true);
    expect(sameValues('MX', ['10 mx.example.com.'], ['10 mx.example.com.'])).toBe(true);
  });
});
