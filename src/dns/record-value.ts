import { isIPv6 } from 'node:net';
import { DnsInputError } from './dns-input-error';
import { parseDnsName } from './record-name';
import { decodeTxtValue, encodeTxtValue } from './txt-value';

/**
 * Record values per type, turned into the exact text Route53 stores (its ResourceRecord
 * Value), so that comparing with what exists is comparing strings. Pure: throws only
 * DnsInputError, whose message names the bad part.
 */

export const RECORD_TYPES = ['CNAME', 'A', 'AAAA', 'TXT', 'SRV'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export function isRecordType(text: string): text is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(text);
}

export function parseRecordValue(type: RecordType, text: string): string {
  switch (type) {
    case 'CNAME':
      return parseTargetHost(text, 'CNAME target');
    case 'A':
      return parseIpv4(text);
    case 'AAAA':
      return parseIpv6(text);
    case 'TXT':
      return encodeTxtValue(text);
    case 'SRV':
      return parseSrv(text);
  }
}

/**
 * What an existing value (as Route53 returns it) looks like in canonical form, for comparing;
 * a value opsdeck cannot parse (written by someone else) is compared as it is.
 */
export function canonicalValue(type: string, value: string): string {
  try {
    if (type === 'TXT') return encodeTxtValue(decodeTxtValue(value));
    return isRecordType(type) ? parseRecordValue(type, value) : value;
  } catch (error) {
    if (error instanceof DnsInputError) return value;
    throw error;
  }
}

/** Same records: equal as sets of canonical values (Route53 keeps no order). */
export function sameValues(type: string, a: readonly string[], b: readonly string[]): boolean {
  const canon = (values: readonly string[]) =>
    [...new Set(values.map((value) => canonicalValue(type, value)))].sort();
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

/** A host name a record points to: absolute, at least two labels (a bare label is a typo). */
function parseTargetHost(text: string, what: string): string {
  const name = parseDnsName(text, what);
  if (name.split('.').length < 3) {
    throw new DnsInputError(
      `the ${what} "${text}" is a single label; give the full name (like ${name.slice(0, -1)}.example.internal)`,
    );
  }
  return name;
}

function parseIpv4(text: string): string {
  const parts = text.split('.');
  if (parts.length !== 4) {
    throw new DnsInputError(
      `"${text}" is not an IPv4 address: an A record takes four numbers 0-255 separated by dots, like 10.0.1.17`,
    );
  }
  parts.forEach((part, index) => {
    const which = ['first', 'second', 'third', 'fourth'][index]!;
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) {
      throw new DnsInputError(`the ${which} number of "${text}" ("${part}") is not 0-255`);
    }
    if (part.length > 1 && part.startsWith('0')) {
      throw new DnsInputError(
        `the ${which} number of "${text}" ("${part}") has a leading zero (write ${Number(part)})`,
      );
    }
  });
  return text;
}

function parseIpv6(text: string): string {
  if (!isIPv6(text) || text.includes('%')) {
    throw new DnsInputError(
      `"${text}" is not an IPv6 address: an AAAA record takes one like fd00:10::17`,
    );
  }
  // The WHATWG URL serializer writes the RFC 5952 form: lowercase, longest zero run as ::.
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

const SRV_FIELDS = ['priority', 'weight', 'port'] as const;

/** `priority weight port target`, e.g. `10 5 3306 db-billing.prod.example.internal`. */
function parseSrv(text: string): string {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 4) {
    throw new DnsInputError(
      `an SRV value is four fields, "priority weight port target" (like 10 5 3306 db.example.internal); "${text}" has ${fields.length}`,
    );
  }
  const numbers = SRV_FIELDS.map((field, index) => {
    const part = fields[index]!;
    if (!/^\d{1,5}$/.test(part) || Number(part) > 65535) {
      throw new DnsInputError(`the SRV ${field} "${part}" is not a whole number 0-65535`);
    }
    return Number(part);
  });
  return `${numbers.join(' ')} ${parseTargetHost(fields[3]!, 'SRV target')}`;
}
