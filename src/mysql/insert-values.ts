/**
 * The VALUES list of a multi-row INSERT, written straight from the raw bytes the text protocol
 * delivers (no JS string per value, no escaping): a value whose bytes are all printable ASCII
 * other than `'` and `\` goes as it is between single quotes, any other as a hexadecimal literal
 * (`X'…'`), introduced by `_utf8mb4` unless the column is binary, so the server reads the bytes
 * as the utf8mb4 text the source sent (the text protocol converts every column to the session's
 * utf8mb4) or, for a binary column, as the bytes themselves. Neither form holds a byte the SQL
 * parser could read as the end of the literal, whatever the sql_mode (NO_BACKSLASH_ESCAPES,
 * ANSI_QUOTES) or character set, so no value can change the statement; NULL is the keyword.
 */
export class InsertValuesEncoder {
  private buffer: Buffer;
  private used = 0;
  private count = 0;

  /** `binary[i]` says whether column i is binary; `bytes` is the buffer's starting size. */
  constructor(
    private readonly binary: readonly boolean[],
    private readonly bytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }

  /** Bytes of SQL so far. */
  get length(): number {
    return this.used;
  }

  /** Rows so far. */
  get rows(): number {
    return this.count;
  }

  add(row: readonly (Buffer | null)[]): void {
    const binary = this.binary;
    let bound = 3 + binary.length * 13;
    for (let i = 0; i < binary.length; i++) bound += 2 * (row[i]?.length ?? 0);
    if (this.used + bound > this.buffer.length) this.grow(bound);
    const out = this.buffer;
    let at = this.used;
    if (this.count > 0) out[at++] = COMMA;
    out[at++] = OPEN;
    for (let i = 0; i < binary.length; i++) {
      if (i > 0) out[at++] = COMMA;
      const value = row[i] ?? null;
      if (value === null) {
        out[at++] = N;
        out[at++] = U;
        out[at++] = L;
        out[at++] = L;
        continue;
      }
      if (!binary[i]) {
        // Copied as it is while every byte is plain; the first that is not starts the value over.
        let plain = at;
        out[plain++] = QUOTE;
        for (let j = 0; j < value.length && plain !== -1; j++) {
          const byte = value[j]!;
          if (PLAIN[byte] === 1) out[plain++] = byte;
          else plain = -1;
        }
        if (plain !== -1) {
          out[plain++] = QUOTE;
          at = plain;
          continue;
        }
        at += UTF8MB4.copy(out, at);
      }
      out[at++] = X;
      out[at++] = QUOTE;
      for (let j = 0; j < value.length; j++) {
        const byte = value[j]!;
        out[at++] = HEX[byte >> 4]!;
        out[at++] = HEX[byte & 15]!;
      }
      out[at++] = QUOTE;
    }
    out[at++] = CLOSE;
    this.used = at;
    this.count += 1;
  }

  /** The rows so far as SQL text (ASCII only), and the encoder starts over. */
  take(): string {
    const sql = this.buffer.toString('latin1', 0, this.used);
    if (this.buffer.length > this.bytes) this.buffer = Buffer.allocUnsafe(this.bytes);
    this.used = 0;
    this.count = 0;
    return sql;
  }

  private grow(bound: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.used + bound));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}

/** Printable ASCII but `'` and `\`: safe between single quotes under every sql_mode. */
const PLAIN = new Uint8Array(256);
for (let byte = 0x20; byte <= 0x7e; byte++) PLAIN[byte] = 1;
PLAIN[0x27] = 0;
PLAIN[0x5c] = 0;

const HEX = Buffer.from('0123456789abcdef');
const UTF8MB4 = Buffer.from('_utf8mb4 ');
const COMMA = 0x2c;
const OPEN = 0x28;
const CLOSE = 0x29;
const QUOTE = 0x27;
const X = 0x58;
const N = 0x4e;
const U = 0x55;
const L = 0x4c;
