import {
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describeError, ErrorCode, OpsdeckError } from '../../errors';
import type { DigestSink } from './digest-sink';

export interface S3SinkOptions {
  bucket: string;
  prefix: string;
  objectLock?: { mode: 'COMPLIANCE' | 'GOVERNANCE'; retainDays: number };
}

const DAY_MS = 24 * 3600_000;

/**
 * Digests as objects of an S3 bucket. Each PutObject is conditional (`If-None-Match: *`), so a
 * digest is never replaced through this sink, and carries an SHA-256 checksum S3 verifies. With
 * `objectLock`, each digest is locked until `retainDays` after its time (the bucket must have
 * Object Lock enabled). The bot needs s3:PutObject, and `opsdeck audit verify` s3:GetObject and
 * s3:ListBucket; nothing needs s3:DeleteObject.
 */
export class S3DigestSink implements DigestSink {
  readonly description: string;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3SinkOptions,
  ) {
    this.description = `s3://${options.bucket}/${options.prefix}/`;
  }

  async put(name: string, bytes: Buffer, at: Date): Promise<void> {
    const { bucket, objectLock } = this.options;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: name,
          Body: bytes,
          ContentType: 'application/json',
          ChecksumAlgorithm: 'SHA256',
          IfNoneMatch: '*',
          ...(objectLock && {
            ObjectLockMode: objectLock.mode,
            ObjectLockRetainUntilDate: new Date(at.getTime() + objectLock.retainDays * DAY_MS),
          }),
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'PreconditionFailed') {
        throw this.failed('PutObject', name, error);
      }
      if (!(await this.get(name)).equals(bytes)) {
        throw new OpsdeckError(
          ErrorCode.AuditDigestSinkFailed,
          `s3://${bucket}/${name} already exists with other content`,
        );
      }
    }
  }

  async get(name: string): Promise<Buffer> {
    try {
      const reply = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: name }),
      );
      return Buffer.from(await reply.Body!.transformToByteArray());
    } catch (error) {
      throw this.failed('GetObject', name, error);
    }
  }

  async list(startAfter?: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        {
          Bucket: this.options.bucket,
          Prefix: `${this.options.prefix}/`,
          ...(startAfter !== undefined && { StartAfter: startAfter }),
        },
      )) {
        for (const object of page.Contents ?? []) {
          if (object.Key?.endsWith('.json')) names.push(object.Key);
        }
      }
    } catch (error) {
      throw this.failed('ListObjectsV2', `${this.options.prefix}/`, error);
    }
    return names;
  }

  private failed(call: string, name: string, error: unknown): OpsdeckError {
    return new OpsdeckError(
      ErrorCode.AuditDigestSinkFailed,
      `${call} s3://${this.options.bucket}/${name} failed: ${describeError(error)}`,
      { cause: error, retryable: true },
    );
  }
}
