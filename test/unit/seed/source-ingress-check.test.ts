import { cidrContains } from '../../../src/seed/source-ingress-check';

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['203.0.113.7/32', '203.0.113.7', true],
    ['203.0.113.7/32', '203.0.113.8', false],
    ['0.0.0.0/0', '198.51.100.1', true],
    ['127.0.0.0/8', '127.0.0.1', true],
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:db9::5', false],
    ['::/0', '::1', true],
    ['0.0.0.0/0', '::1', false], // an IPv4 rule never admits an IPv6 address
    ['::/0', '10.0.0.1', false], // nor the reverse
    ['10.0.0.0/33', '10.0.0.1', false], // not a CIDR
    ['not-a-cidr', '10.0.0.1', false],
  ])('%s holds %s: %s', (cidr, address, expected) => {
    expect(cidrContains(cidr, address)).toBe(expected);
  });

  it('agrees with arithmetic on random IPv4 prefixes and addresses (fuzz)', () => {
    let seed = 3;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const dotted = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
    for (let i = 0; i < 1000; i += 1) {
      const bits = next() % 33;
      const network = (next() * 2 + (next() % 2)) >>> 0;
      const address = i % 2 === 0 ? (next() * 2 + (next() % 2)) >>> 0 : network ^ (next() % 256);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const expected = (network & mask) >>> 0 === (address & mask) >>> 0;
      expect(cidrContains(`${dotted((network & mask) >>> 0)}/${bits}`, dotted(address))).toBe(
        expected,
      );
    }
  });
});
