import fc from 'fast-check';
import { tokenize, TokenizeError } from '../../../src/command/tokenize';

describe('tokenize', () => {
  it.each([
    ['', []],
    ['  a   b ', ['a', 'b']],
    ['ping --ticks 3', ['ping', '--ticks', '3']],
    ['"two words" x', ['two words', 'x']],
    ["'single $(quoted)' y", ['single $(quoted)', 'y']],
    ['“smart quotes” from Slack', ['smart quotes', 'from', 'Slack']],
    ['a\\ b', ['a b']],
    ['"say \\"hi\\""', ['say "hi"']],
    ['""', ['']],
    ['pre"mid"post', ['premidpost']],
    ['; rm -rf / $(reboot) `id`', [';', 'rm', '-rf', '/', '$(reboot)', '`id`']],
  ])('%j → %j', (text, words) => {
    expect(tokenize(text)).toEqual(words);
  });

  it('names the missing quote', () => {
    expect(() => tokenize('"open')).toThrow('unclosed quote: add a closing "');
    expect(() => tokenize('“open')).toThrow('unclosed quote: add a closing ”');
  });

  it('never throws anything but TokenizeError, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        try {
          const words = tokenize(text);
          for (const word of words) expect(typeof word).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(TokenizeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back any list of words once each is quoted', () => {
    const word = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (words) => {
        const quoted = words.map(
          (w) => `"${w.replace(/["\\“”‘’]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : c))}"`,
        );
        const hasSmartQuote = words.some((w) => /[“”‘’]/.test(w));
        fc.pre(!hasSmartQuote);
        expect(tokenize(quoted.join(' '))).toEqual(words);
      }),
      { numRuns: 1000 },
    );
  });
});
