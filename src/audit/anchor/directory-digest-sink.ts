import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { describeError, ErrorCode, OpsdeckError } from '../../errors';
import type { DigestSink } from './digest-sink';

/**
 * Digests as files under a directory: for a disk the audit database's users cannot write, a
 * write-once (WORM) mount, or a directory another machine syncs away. A digest is written to a
 * temporary file, flushed to disk, then hard-linked to its name, which fails if the name exists:
 * a file is never replaced or seen half written.
 */
export class DirectoryDigestSink implements DigestSink {
  readonly description: string;
  private readonly root: string;

  constructor(
    directory: string,
    private readonly prefix: string,
  ) {
    this.root = resolve(directory);
    this.description = `${join(this.root, prefix)}${sep}`;
  }

  async put(name: string, bytes: Buffer): Promise<void> {
    const path = join(this.root, name);
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const file = await open(temporary, 'wx', 0o444);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      try {
        await link(temporary, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (!(await readFile(path)).equals(bytes)) {
          throw new OpsdeckError(
            ErrorCode.AuditDigestSinkFailed,
            `${path} already exists with other content`,
          );
        }
      }
      const directory = await open(dirname(path), 'r');
      await directory.sync().finally(() => directory.close());
    } catch (error) {
      throw this.failed('write', path, error);
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }

  async get(name: string): Promise<Buffer> {
    const path = join(this.root, name);
    try {
      return await readFile(path);
    } catch (error) {
      throw this.failed('read', path, error);
    }
  }

  async list(startAfter?: string): Promise<string[]> {
    const base = join(this.root, this.prefix);
    let entries: string[];
    try {
      entries = await readdir(base, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.failed('list', base, error);
    }
    return entries
      .filter((entry) => entry.endsWith('.json'))
      .map((entry) => `${this.prefix}/${entry.split(sep).join('/')}`)
      .filter((name) => startAfter === undefined || compareNames(name, startAfter) > 0)
      .sort(compareNames);
  }

  private failed(what: string, path: string, error: unknown): OpsdeckError {
    if (error instanceof OpsdeckError) return error;
    return new OpsdeckError(
      ErrorCode.AuditDigestSinkFailed,
      `cannot ${what} ${path}: ${describeError(error)}`,
      { cause: error, retryable: true },
    );
  }
}

/** S3's listing order: UTF-8 bytes. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
