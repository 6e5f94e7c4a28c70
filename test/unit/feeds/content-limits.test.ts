import fc from 'fast-check';
import { FeedError } from '../../../src/errors';
import { assertJsonWithinLimits, assertXmlWithinLimits } from '../../../src/feeds/content-limits';

describe('content limits', () => {
  it('counts JSON depth outside strings only', () => {
    expect(() => assertJsonWithinLimits('[[[1]]]', 3)).not.toThrow();
    expect(() => assertJsonWithinLimits('[[[[1]]]]', 3)).toThrow('nested deeper than 3 levels');
    expect(() => assertJsonWithinLimits('["[[[[[[", "\\"[[[[["]', 2)).not.toThrow();
  });

  it('counts XML element depth, not comments, CDATA, declarations or empty elements', () => {
    const ok = '<?xml version="1.0"?><a><!-- <b><c><d> --><b/><b><![CDATA[<x><y><z>]]></b></a>';
    expect(() => assertXmlWithinLimits(ok, 2)).not.toThrow();
    expect(() => assertXmlWithinLimits('<a><b><c></c></b></a>', 2)).toThrow(
      'nested deeper than 2 levels',
    );
  });

  it('refuses DOCTYPE and ENTITY declarations in any case', () => {
    for (const text of ['<!DOCTYPE x><x/>', '<x><!entity y "z"></x>', '<!doctype rss><rss/>'])
      expect(() => assertXmlWithinLimits(text)).toThrow(FeedError);
  });

  it('finishes on any input with nothing but a FeedError (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('<', '>', '/', '!', '[', ']', '{', '}', '"', '\\', 'a', '-', '?'),
        }),
        (text) => {
          for (const check of [assertJsonWithinLimits, assertXmlWithinLimits]) {
            try {
              check(text, 4);
            } catch (error) {
              expect(error).toBeInstanceOf(FeedError);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
