import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The sandbox's S3 buckets on disk, under `<dataDir>/s3/<bucket>/`: `bucket.json` (creation time,
 * whether Object Lock is on) and per object a body file and a metadata file named by the SHA-256
 * of its key (keys may hold any character and be longer than a file name). Everything is loaded
 * once at start; each write replaces its files atomically (write then rename), so a crash leaves
 * the old or the new object, never half of one. One version per key: no versioning.
 */

export interface BucketRecord {
  name: string;
  createdAt: string;
  objectLockEnabled: boolean;
}

export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface ObjectRecord {
  key: string;
  size: number;
  /** Quoted MD5 hex of the body, as S3 shows a single-part upload's ETag. */
  etag: string;
  lastModified: string;
  contentType: string;
  /** Checksums the writer sent (header name without `x-amz-checksum-`, base64 value). */
  checksums: Record<string, string>;
  lock?: { mode: ObjectLockMode; retainUntil: string };
}

interface Bucket {
  record: BucketRecord;
  objects: Map<string, ObjectRecord>;
}

export class BucketStore {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly root: string) {
    mkdirSync(root, { recursive: true });
    for (const name of readdirSync(root)) {
      const meta = join(root, name, 'bucket.json');
      if (!existsSync(meta)) continue;
      const record = JSON.parse(readFileSync(meta, 'utf8')) as BucketRecord;
      const objects = new Map<string, ObjectRecord>();
      for (const file of readdirSync(this.objectDir(name))) {
        if (!file.endsWith('.json')) continue;
        const object = JSON.parse(
          readFileSync(join(this.objectDir(name), file), 'utf8'),
        ) as ObjectRecord;
        objects.set(object.key, object);
      }
      this.buckets.set(name, { record, objects });
    }
  }

  bucket(name: string): BucketRecord | undefined {
    return this.buckets.get(name)?.record;
  }

  createBucket(record: BucketRecord): void {
    mkdirSync(this.objectDir(record.name), { recursive: true });
    writeAtomically(join(this.root, record.name, 'bucket.json'), JSON.stringify(record));
    this.buckets.set(record.name, { record, objects: new Map() });
  }

  object(bucket: string, key: string): ObjectRecord | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  body(bucket: string, key: string): Buffer {
    return readFileSync(join(this.objectDir(bucket), `${fileId(key)}.body`));
  }

  putObject(bucket: string, object: ObjectRecord, body: Buffer): void {
    const base = join(this.objectDir(bucket), fileId(object.key));
    writeAtomically(`${base}.body`, body);
    writeAtomically(`${base}.json`, JSON.stringify(object));
    this.requireBucket(bucket).objects.set(object.key, object);
  }

  deleteObject(bucket: string, key: string): void {
    const base = join(this.objectDir(bucket), fileId(key));
    rmSync(`${base}.json`, { force: true });
    rmSync(`${base}.body`, { force: true });
    this.requireBucket(bucket).objects.delete(key);
  }

  /** Every key of the bucket, in UTF-8 binary order (S3's listing order). */
  keys(bucket: string): string[] {
    return [...this.requireBucket(bucket).objects.keys()].sort((a, b) =>
      Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
    );
  }

  private requireBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new Error(`no bucket ${name}`);
    return bucket;
  }

  private objectDir(bucket: string): string {
    return join(this.root, bucket, 'objects');
  }
}

function fileId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function writeAtomically(path: string, data: string | Buffer): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
