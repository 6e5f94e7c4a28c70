import fc from 'fast-check';
import { DnsInputError } from '../../../src/dns/dns-input-error';
import { parseDnsName, qualifyRecordName, relativeName } from '../../../src/dns/record-name';
import { dnsErrorOf } from '../../helpers/dns-input-error';

const ZONE = 'prod.example.internal.';

describe('parseDnsName', () => {
  it('lowercases and makes names absolute', () => {
    expect(parseDnsName('Cache-MyApp.Prod.example.internal')).toBe(
      'cache-myapp.prod.example.internal.',
    );
    expect(parseDnsName('a.b.')).toBe('a.b.');
    expect(parseDnsName('_mysql._tcp.db')).toBe('_mysql._tcp.db.');
  });

  it.each([
    ['', 'the name is empty'],
    ['.', 'has no labels'],
    ['a..b', 'has an empty label (two dots)'],
    ['bad_label', 'label "bad_label" of the name is not valid'],
    ['-lead', 'label "-lead"'],
    ['trail-', 'label "trail-"'],
    ['__x', 'label "__x"'],
    ['*.wild', 'label "*"'],
    [`${'a'.repeat(64)}.b`, 'is 64 characters long; a label has at most 63'],
    [Array(64).fill('abcd').join('.'), 'is 319 characters long; a DNS name has at most 253'],
  ])('refuses %j: %s', (text, message) => {
    expect(dnsErrorOf(() => parseDnsName(text))).toContain(message);
  });

  it('accepts 63-character labels and 253-character names', () => {
    expect(parseDnsName('a'.repeat(63))).toBe(`${'a'.repeat(63)}.`);
    const name = [...Array(63).fill('abc'), 'a'].join('.'); // 63*4 + 1 = 253
    expect(name).toHaveLength(253);
    expect(parseDnsName(name)).toBe(`${name}.`);
    expect(dnsErrorOf(() => parseDnsName(`${name}b`))).toContain('at most 253');
  });

  it('fuzz: throws nothing but DnsInputError; accepted names round-trip', () => {
    const labelChar = fc.constantFrom(...'abcXYZ019-_.'.split(''));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: labelChar, maxLength: 300 })),
        (text) => {
          let name: string;
          try {
            name = parseDnsName(text);
          } catch (error) {
            expect(error).toBeInstanceOf(DnsInputError);
            return;
          }
          expect(name).toMatch(/^[a-z0-9_.-]+\.$/);
          expect(name.length).toBeLessThanOrEqual(254);
          expect(parseDnsName(name)).toBe(name);
          expect(parseDnsName(name.slice(0, -1))).toBe(name);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('qualifyRecordName', () => {
  it.each([
    ['cache-myapp', `cache-myapp.${ZONE}`],
    ['Cache.MyApp', `cache.myapp.${ZONE}`],
    ['@', ZONE],
    ['prod.example.internal', ZONE],
    [`x.${ZONE}`, `x.${ZONE}`],
    ['x.prod.example.internal', `x.${ZONE}`],
  ])('%s → %s', (text, name) => {
    expect(qualifyRecordName(text, ZONE)).toBe(name);
  });

  it('refuses full names outside the zone, naming the zone', () => {
    expect(dnsErrorOf(() => qualifyRecordName('cache.other.internal.', ZONE))).toBe(
      `cache.other.internal. is not inside the zone ${ZONE}: give a name relative to the zone (like cache-myapp) or a full name ending in .${ZONE}`,
    );
    // A name that merely ends like the zone is not inside it.
    expect(dnsErrorOf(() => qualifyRecordName('xprod.example.internal.', ZONE))).toContain(
      'is not inside the zone',
    );
  });

  it('fuzz: accepted names lie in the zone and round-trip through relativeName', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        let name: string;
        try {
          name = qualifyRecordName(text, ZONE);
        } catch (error) {
          expect(error).toBeInstanceOf(DnsInputError);
          return;
        }
        expect(name === ZONE || name.endsWith(`.${ZONE}`)).toBe(true);
        expect(qualifyRecordName(relativeName(name, ZONE), ZONE)).toBe(name);
        expect(qualifyRecordName(name, ZONE)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });
});
