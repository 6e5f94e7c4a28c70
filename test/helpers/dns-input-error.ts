import { DnsInputError } from '../../src/dns/dns-input-error';

/** Runs `fn`, which must throw a DnsInputError, and returns its message. */
export function dnsErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DnsInputError);
    return (error as Error).message;
  }
  throw new Error('expected a DnsInputError');
}
