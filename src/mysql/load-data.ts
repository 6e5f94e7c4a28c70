import { escape } from 'mysql2/promise';
import { quoteIdentifier } from './sql-identifier';
import type { TableColumn } from './table-shape';

/**
 * LOAD DATA LOCAL's default text format, written straight from the raw bytes the text protocol
 * delivers (no JS strings in between): fields end with a tab, lines with a newline, NULL is `\N`,
 * and in a value the four bytes that could end or escape a field are escaped (`\0 \t \n \\`). Those
 * four are ASCII, which never occurs inside a multi-byte UTF-8 character, so escaping byte by byte
 * is exact for utf8mb4 text. Binary columns go as hex and are decoded by UNHEX on the server, so
 * their bytes never pass through a character set. `file` is a path on the destination server for
 * the server to read itself (LOAD DATA INFILE, as bench/copy-table's ceiling does); without it the
 * rows come from the client (LOCAL).
 */
export function loadDataSql(sideTable: string, columns: TableColumn[], file?: string): string {
  const targets = columns.map((c, i) => (c.binary ? `@h${i}` : quoteIdentifier(c.name)));
  const sets = columns.flatMap((c, i) =>
    c.binary ? [`${quoteIdentifier(c.name)} = UNHEX(@h${i})`] : [],
  );
  return (
    `LOAD DATA ${file === undefined ? "LOCAL INFILE 'opsdeck-copy'" : `INFILE ${escape(file)}`} ` +
    `INTO TABLE ${sideTable} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ` +
    `(${targets.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`
  );
}

const ESCAPES = new Uint8Array(256);
ESCAPES[0x00] = 0x30; // \0
ESCAPES[0x09] = 0x74; // \t
ESCAPES[0x0a] = 0x6e; // \n
ESCAPES[0x5c] = 0x5c; // \\
const HEX = Buffer.from('0123456789abcdef');

/** Encoded rows are handed over once this many bytes are collected. */
export const LOAD_CHUNK_BYTES = 256 * 1024;
/** Each piece handed over is at most this large (one LOCAL INFILE packet each). */
const PACKET_BYTES = 1024 * 1024;

/**
 * Encodes rows (values as the text protocol's bytes, or null) into the format above, collecting
 * them in a buffer handed out by `take()`. `hex[i]` says whether column i is binary.
 */
export class LoadDataEncoder {
  private buffer = Buffer.allocUnsafe(2 * LOAD_CHUNK_BYTES);
  private used = 0;

  constructor(private readonly hex: readonly boolean[]) {}

  get length(): number {
    return this.used;
  }

  add(row: readonly (Buffer | null)[]): void {
    const hex = this.hex;
    let bound = hex.length + 1;
    for (let i = 0; i < hex.length; i++) bound += 2 * (row[i]?.length ?? 1);
    if (this.used + bound > this.buffer.length) this.grow(bound);
    const out = this.buffer;
    let at = this.used;
    for (let i = 0; i < hex.length; i++) {
      if (i > 0) out[at++] = 0x09;
      const value = row[i] ?? null;
      if (value === null) {
        out[at++] = 0x5c;
        out[at++] = 0x4e;
      } else if (hex[i]) {
        for (let j = 0; j < value.length; j++) {
          const byte = value[j]!;
          out[at++] = HEX[byte >> 4]!;
          out[at++] = HEX[byte & 15]!;
        }
      } else {
        for (let j = 0; j < value.length; j++) {
          const byte = value[j]!;
          const escape = ESCAPES[byte]!;
          if (escape === 0) out[at++] = byte;
          else {
            out[at++] = 0x5c;
            out[at++] = escape;
          }
        }
      }
    }
    out[at++] = 0x0a;
    this.used = at;
  }

  /**
   * The encoded rows so far, copied out in pieces of at most 1 MiB, and the buffer is reused: a
   * fresh buffer per take left twice the bytes copied as garbage for the GC, and the engine's peak
   * RSS grew with the length of the copy until a major GC caught up.
   */
  take(): Buffer[] {
    const pieces: Buffer[] = [];
    for (let start = 0; start < this.used; start += PACKET_BYTES)
      pieces.push(
        Buffer.from(this.buffer.subarray(start, Math.min(this.used, start + PACKET_BYTES))),
      );
    if (this.buffer.length > 2 * LOAD_CHUNK_BYTES)
      this.buffer = Buffer.allocUnsafe(2 * LOAD_CHUNK_BYTES);
    this.used = 0;
    return pieces;
  }

  /**
   * Room for `bound` more bytes. Taking at LOAD_CHUNK_BYTES leaves room for any row up to that
   * size; only a larger row gets a larger buffer (for it alone, as the caller takes right after).
   */
  private grow(bound: number): void {
    const bigger = Buffer.allocUnsafe(this.used + bound);
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}
