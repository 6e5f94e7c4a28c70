/**
 * Where digests are kept, outside the audit database. Names are full object keys (or paths under
 * the directory) that start with the configured prefix; a name is written once and never
 * replaced.
 */
export interface DigestSink {
  /** `s3://bucket/prefix` or the directory's path, for messages. */
  readonly description: string;
  /**
   * Stores a new digest. Writing the same bytes under a name that already holds them is a
   * success (a retried write whose first attempt landed); other bytes there are an error.
   */
  put(name: string, bytes: Buffer, at: Date): Promise<void>;
  get(name: string): Promise<Buffer>;
  /** Every digest name under the prefix in key order, after `startAfter` when given. */
  list(startAfter?: string): Promise<string[]>;
}
