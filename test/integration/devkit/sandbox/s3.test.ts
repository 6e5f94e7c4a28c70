import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
} from '@aws-sdk/client-s3';
import { startSandbox } from '../../../../devkit/sandbox/sandbox';
import { sdkClients, startTestSandbox, type TestSandbox } from '../../../helpers/sandbox';

describe('sandbox S3 through the real SDK v3 client (path-style)', () => {
  let t: TestSandbox;
  const s3 = () => t.clients.s3;

  beforeAll(async () => {
    t = await startTestSandbox();
    await s3().send(new CreateBucketCommand({ Bucket: 'plain' }));
    await s3().send(
      new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }),
    );
  });

  afterAll(() => t.dispose());

  it('creates buckets once, and HeadBucket tells them apart from missing ones', async () => {
    await expect(s3().send(new HeadBucketCommand({ Bucket: 'plain' }))).resolves.toMatchObject({
      BucketRegion: 'us-east-1',
    });
    await expect(s3().send(new HeadBucketCommand({ Bucket: 'nope' }))).rejects.toMatchObject({
      name: 'NotFound',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3().send(new CreateBucketCommand({ Bucket: 'plain' }))).rejects.toMatchObject({
      name: 'BucketAlreadyOwnedByYou',
    });
    await expect(s3().send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
      name: 'InvalidBucketName',
    });
  });

  it('puts and gets objects byte for byte, with ETag, type and the checksum the SDK checks', async () => {
    const body = Buffer.from([0, 1, 2, 255, 254, ...Buffer.from(' héllo/ünïcode ')]);
    const put = await s3().send(
      new PutObjectCommand({
        Bucket: 'plain',
        Key: 'dir/a file+name?.bin',
        Body: body,
        ContentType: 'application/x-test',
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await s3().send(
      new GetObjectCommand({ Bucket: 'plain', Key: 'dir/a file+name?.bin' }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(got).toMatchObject({
      ETag: put.ETag,
      ContentType: 'application/x-test',
      ContentLength: body.length,
      ChecksumCRC32: put.ChecksumCRC32,
    });
    const head = await s3().send(
      new HeadObjectCommand({ Bucket: 'plain', Key: 'dir/a file+name?.bin' }),
    );
    expect(head.ContentLength).toBe(body.length);
    await expect(
      s3().send(new GetObjectCommand({ Bucket: 'plain', Key: 'missing' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(
      s3().send(new GetObjectCommand({ Bucket: 'nope', Key: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('decodes a streamed upload (aws-chunked with a CRC32 trailer)', async () => {
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.from('tail')];
    await s3().send(
      new PutObjectCommand({
        Bucket: 'plain',
        Key: 'streamed',
        Body: Readable.from(parts),
        ContentLength: 70_004,
      }),
    );
    const got = await s3().send(new GetObjectCommand({ Bucket: 'plain', Key: 'streamed' }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(Buffer.concat(parts));
  });

  it('refuses a body that does not match its Content-MD5 or checksum', async () => {
    await expect(
      s3().send(
        new PutObjectCommand({
          Bucket: 'plain',
          Key: 'bad',
          Body: 'hello',
          ContentMD5: Buffer.alloc(16).toString('base64'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(
      s3().send(
        new PutObjectCommand({
          Bucket: 'plain',
          Key: 'bad',
          Body: 'hello',
          ChecksumCRC32: 'AAAAAA==',
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(
      s3().send(new HeadObjectCommand({ Bucket: 'plain', Key: 'bad' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('If-None-Match: * writes once and never overwrites', async () => {
    await s3().send(
      new PutObjectCommand({ Bucket: 'plain', Key: 'once', Body: 'first', IfNoneMatch: '*' }),
    );
    await expect(
      s3().send(
        new PutObjectCommand({ Bucket: 'plain', Key: 'once', Body: 'second', IfNoneMatch: '*' }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const got = await s3().send(new GetObjectCommand({ Bucket: 'plain', Key: 'once' }));
    expect(await got.Body!.transformToString()).toBe('first');
  });

  it('lists in key order, by prefix and delimiter, page by page with continuation tokens', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['d/2025/11/21/b', 'd/2025/11/21/a', 'd/2025/11/20/z', 'd/2024/x', 'other', 'd/é'];
    for (const Key of keys)
      await s3().send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }));
    const all: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3(), pageSize: 2 },
      { Bucket: 'listing', Prefix: 'd/' },
    )) {
      pages += 1;
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      all.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    expect(all).toEqual(['d/2024/x', 'd/2025/11/20/z', 'd/2025/11/21/a', 'd/2025/11/21/b', 'd/é']);
    expect(pages).toBe(3);
    const after = await s3().send(
      new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'd/', StartAfter: 'd/2025/11/20/z' }),
    );
    expect(after.Contents!.map((o) => o.Key)).toEqual(['d/2025/11/21/a', 'd/2025/11/21/b', 'd/é']);
    expect(after.StartAfter).toBe('d/2025/11/20/z');
    const rolled = await s3().send(
      new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'd/', Delimiter: '/', MaxKeys: 2 }),
    );
    expect(rolled.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['d/2024/', 'd/2025/']);
    expect(rolled.IsTruncated).toBe(true);
    const rest = await s3().send(
      new ListObjectsV2Command({
        Bucket: 'listing',
        Prefix: 'd/',
        Delimiter: '/',
        ContinuationToken: rolled.NextContinuationToken!,
      }),
    );
    expect(rest.CommonPrefixes ?? []).toEqual([]);
    expect(rest.Contents!.map((o) => o.Key)).toEqual(['d/é']);
    expect(rest.IsTruncated).toBe(false);
    await expect(
      s3().send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: 'garbage' })),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('keeps a COMPLIANCE-locked object: no overwrite, no delete, until its date', async () => {
    const until = new Date(Date.now() + 3_600_000);
    const lock = { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: until };
    await s3().send(
      new PutObjectCommand({ Bucket: 'locked', Key: 'digest', Body: 'signed', ...lock }),
    );
    const got = await s3().send(new GetObjectCommand({ Bucket: 'locked', Key: 'digest' }));
    expect(got.ObjectLockMode).toBe('COMPLIANCE');
    expect(got.ObjectLockRetainUntilDate?.toISOString()).toBe(until.toISOString());
    await expect(
      s3().send(new PutObjectCommand({ Bucket: 'locked', Key: 'digest', Body: 'forged' })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(
      s3().send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'digest' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      s3().send(
        new DeleteObjectCommand({
          Bucket: 'locked',
          Key: 'digest',
          BypassGovernanceRetention: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const still = await s3().send(new GetObjectCommand({ Bucket: 'locked', Key: 'digest' }));
    expect(await still.Body!.transformToString()).toBe('signed');

    // GOVERNANCE yields to the bypass header; an unlocked object is deleted as usual.
    await s3().send(
      new PutObjectCommand({
        Bucket: 'locked',
        Key: 'gov',
        Body: 'x',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: until,
      }),
    );
    await expect(
      s3().send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'gov' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await s3().send(
      new DeleteObjectCommand({ Bucket: 'locked', Key: 'gov', BypassGovernanceRetention: true }),
    );
    await s3().send(new PutObjectCommand({ Bucket: 'locked', Key: 'free', Body: 'x' }));
    await s3().send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'free' }));
    const left = await s3().send(new ListObjectsV2Command({ Bucket: 'locked' }));
    expect(left.Contents!.map((o) => o.Key)).toEqual(['digest']);
  });

  it('refuses Object Lock headers S3 would refuse', async () => {
    const future = new Date(Date.now() + 60_000);
    await expect(
      s3().send(
        new PutObjectCommand({
          Bucket: 'plain',
          Key: 'l',
          Body: 'x',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: future,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringMatching(/Object Lock Configuration/),
    });
    await expect(
      s3().send(
        new PutObjectCommand({
          Bucket: 'locked',
          Key: 'l',
          Body: 'x',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() - 60_000),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(
      s3().send(
        new PutObjectCommand({
          Bucket: 'locked',
          Key: 'l',
          Body: 'x',
          ObjectLockMode: 'COMPLIANCE',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('answers 501 to what it does not implement instead of half doing it', async () => {
    await expect(
      s3().send(
        new PutObjectLegalHoldCommand({
          Bucket: 'locked',
          Key: 'digest',
          LegalHold: { Status: 'ON' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
  });

  it('keeps buckets and objects (and their locks) across a restart', async () => {
    await t.sandbox.stop();
    const restarted = await startSandbox({ port: 0, dataDir: t.dataDir });
    const again = sdkClients(restarted.url).s3;
    const got = await again.send(new GetObjectCommand({ Bucket: 'locked', Key: 'digest' }));
    expect(await got.Body!.transformToString()).toBe('signed');
    await expect(
      again.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'digest' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const listed = await again.send(new ListObjectsV2Command({ Bucket: 'listing' }));
    expect(listed.KeyCount).toBe(6);
    again.destroy();
    await restarted.stop();
  });
});
