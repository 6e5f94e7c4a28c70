import { DnsInputError } from './dns-input-error';

/**
 * TXT values in Route53's format: one or more double-quoted character strings of at most 255
 * bytes each, separated by a space; inside, `"` and `\` are escaped with a backslash and bytes
 * outside printable ASCII are written as `\ddd` (three octal digits). A Route53 value is at most
 * 4,000 characters.
 */

export const TXT_STRING_BYTES = 255;
export const MAX_VALUE_CHARS = 4000;

/** The text as the user means it → the Route53 value (split at 255 bytes, quoted, escaped). */
export function encodeTxtValue(text: string): string {
  if (text === '') throw new DnsInputError('the TXT value is empty');
  const bytes = Buffer.from(text, 'utf8');
  const strings: string[] = [];
  for (let start = 0; start < bytes.length; start += TXT_STRING_BYTES) {
    let quoted = '';
    for (const byte of bytes.subarray(start, start + TXT_STRING_BYTES)) quoted += escapeByte(byte);
    strings.push(`"${quoted}"`);
  }
  const value = strings.join(' ');
  if (value.length > MAX_VALUE_CHARS) {
    throw new DnsInputError(
      `the TXT value is ${value.length} characters once quoted and split into 255-byte strings; Route53 takes at most ${MAX_VALUE_CHARS}`,
    );
  }
  return value;
}

function escapeByte(byte: number): string {
  if (byte === 0x22 || byte === 0x5c) return `\\${String.fromCharCode(byte)}`;
  if (byte >= 0x20 && byte <= 0x7e) return String.fromCharCode(byte);
  return `\\${byte.toString(8).padStart(3, '0')}`;
}

/** A Route53 TXT value → its text (the strings joined, escapes undone). */
export function decodeTxtValue(value: string): string {
  const bytes: number[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new DnsInputError(`the TXT value ${JSON.stringify(value)} is not well formed: ${why}`);
  };
  while (i < value.length) {
    if (value[i] === ' ') {
      i++;
      continue;
    }
    if (value[i] !== '"') fail(`expected " at position ${i + 1}`);
    i++;
    for (;;) {
      if (i >= value.length) fail('a string is not closed');
      const ch = value[i]!;
      if (ch === '"') {
        i++;
        break;
      }
      if (ch === '\\') {
        const octal = /^\d{3}/.exec(value.slice(i + 1, i + 4))?.[0];
        if (octal !== undefined && Number.parseInt(octal, 8) <= 0xff && !/[89]/.test(octal)) {
          bytes.push(Number.parseInt(octal, 8));
          i += 4;
          continue;
        }
        if (i + 1 >= value.length) fail('it ends with a backslash');
        bytes.push(...Buffer.from(value[i + 1]!, 'utf8'));
        i += 2;
        continue;
      }
      bytes.push(...Buffer.from(ch, 'utf8'));
      i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
