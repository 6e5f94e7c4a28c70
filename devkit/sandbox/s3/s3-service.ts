import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AwsError } from '../aws-error';
import type { HttpReply, HttpRequest, SignedHttpService } from '../server';
import { renderXml, type XmlObject } from '../xml';
import { decodeAwsChunked } from './aws-chunked';
import type { BucketStore, ObjectLockMode, ObjectRecord } from './bucket-store';

/**
 * The part of S3's REST-XML API opsdeck uses, on its wire protocol, path-style
 * (`/<bucket>/<key>`, the SDK's `forcePathStyle`): CreateBucket (with Object Lock enabled by
 * `x-amz-bucket-object-lock-enabled`), HeadBucket, PutObject, GetObject, HeadObject, DeleteObject
 * and ListObjectsV2 (prefix, delimiter, start-after, max-keys, continuation tokens).
 *
 * PutObject checks Content-MD5 and `x-amz-checksum-crc32|sha1|sha256` (in headers or, with
 * `aws-chunked`, trailers), honours `If-None-Match: *` and `If-Match`, and takes the Object Lock
 * headers (`x-amz-object-lock-mode`, `x-amz-object-lock-retain-until-date`) with S3's rules: only
 * on a bucket created with Object Lock, both or neither, a date in the future, and a checksum or
 * Content-MD5 required. S3 keeps a locked object's version until its date whatever anyone does;
 * the sandbox has no versioning, so it models that as S3 answers a request aimed at that version:
 * an overwrite or delete of a locked object is refused with AccessDenied (COMPLIANCE always,
 * GOVERNANCE unless `x-amz-bypass-governance-retention: true`). Real S3 would instead accept a
 * plain PUT or DELETE as a new version or a delete marker and keep the locked version.
 *
 * Anything else (sub-resources such as `?versioning`, `?object-lock`, `?tagging`, ranges, copies)
 * is answered 501 NotImplemented rather than half done. Signatures are not checked.
 */

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_KEYS = 1000;
const LIST_PARAMS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'x-id',
]);
const LOCK_MODES: readonly string[] = ['GOVERNANCE', 'COMPLIANCE'];
/** Checksums PutObject verifies; others the SDK can send (crc32c, crc64nvme) are stored as given. */
const CHECKSUMS: Record<string, (body: Buffer) => string> = {
  crc32: (body) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(crc32(body));
    return bytes.toString('base64');
  },
  sha1: (body) => createHash('sha1').update(body).digest('base64'),
  sha256: (body) => createHash('sha256').update(body).digest('base64'),
};

export interface S3Options {
  region: string;
  now?: () => number;
}

export function createS3Service(store: BucketStore, options: S3Options): SignedHttpService {
  const now = options.now ?? Date.now;

  const requireBucket = (name: string) => {
    const bucket = store.bucket(name);
    if (!bucket) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, {
        BucketName: name,
      });
    }
    return bucket;
  };

  const createBucket = (name: string, request: HttpRequest): HttpReply => {
    if (!BUCKET_NAME.test(name) || name.includes('..')) {
      throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, {
        BucketName: name,
      });
    }
    if (store.bucket(name)) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: name },
      );
    }
    store.createBucket({
      name,
      createdAt: new Date(now()).toISOString(),
      objectLockEnabled: header(request, 'x-amz-bucket-object-lock-enabled') === 'true',
    });
    return { status: 200, headers: { location: `/${name}` } };
  };

  const putObject = (bucket: string, key: string, request: HttpRequest): HttpReply => {
    const bucketRecord = requireBucket(bucket);
    if (header(request, 'x-amz-copy-source') !== undefined) throw notImplemented('CopyObject');
    const chunked =
      (header(request, 'content-encoding') ?? '')
        .split(',')
        .some((e) => e.trim() === 'aws-chunked') ||
      (header(request, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
    const { payload, trailers } = chunked
      ? decodeAwsChunked(request.body)
      : { payload: request.body, trailers: {} };
    const declared = header(request, 'x-amz-decoded-content-length');
    if (chunked && declared !== undefined && Number(declared) !== payload.length) {
      throw new S3Error(
        'IncompleteBody',
        'You did not provide the number of bytes specified.',
        400,
      );
    }
    const md5 = header(request, 'content-md5');
    if (md5 !== undefined && createHash('md5').update(payload).digest('base64') !== md5) {
      throw new S3Error(
        'BadDigest',
        'The Content-MD5 you specified did not match what we received.',
        400,
      );
    }
    const checksums: Record<string, string> = {};
    for (const [name, value] of [...Object.entries(request.headers), ...Object.entries(trailers)]) {
      if (!name.startsWith('x-amz-checksum-') || typeof value !== 'string') continue;
      const algorithm = name.slice('x-amz-checksum-'.length);
      if (algorithm === 'type' || algorithm === 'mode') continue;
      const compute = CHECKSUMS[algorithm];
      if (compute && compute(payload) !== value) {
        throw new S3Error(
          'BadDigest',
          `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
          400,
        );
      }
      checksums[algorithm] = value;
    }
    const lock = lockFrom(request, now());
    if (lock) {
      if (!bucketRecord.objectLockEnabled) {
        throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration', 400);
      }
      if (md5 === undefined && Object.keys(checksums).length === 0) {
        throw new S3Error(
          'InvalidRequest',
          'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
          400,
        );
      }
    }
    const existing = store.object(bucket, key);
    checkPreconditions(request, existing);
    if (existing) refuseIfLocked(existing, request, now(), 'overwrite');
    const object: ObjectRecord = {
      key,
      size: payload.length,
      etag: `"${createHash('md5').update(payload).digest('hex')}"`,
      lastModified: new Date(now()).toISOString(),
      contentType: header(request, 'content-type') ?? 'binary/octet-stream',
      checksums,
      ...(lock && { lock }),
    };
    store.putObject(bucket, object, payload);
    return {
      status: 200,
      headers: {
        etag: object.etag,
        'x-amz-server-side-encryption': 'AES256',
        ...Object.fromEntries(
          Object.entries(checksums).map(([algorithm, value]) => [
            `x-amz-checksum-${algorithm}`,
            value,
          ]),
        ),
      },
    };
  };

  const getObject = (bucket: string, key: string, request: HttpRequest): HttpReply => {
    requireBucket(bucket);
    if (header(request, 'range') !== undefined) throw notImplemented('Range requests');
    const object = store.object(bucket, key);
    if (!object) {
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    const ifMatch = header(request, 'if-match');
    if (ifMatch !== undefined && ifMatch !== object.etag && ifMatch !== '*') {
      throw new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        412,
      );
    }
    const ifNoneMatch = header(request, 'if-none-match');
    if (ifNoneMatch !== undefined && (ifNoneMatch === object.etag || ifNoneMatch === '*')) {
      return { status: 304, headers: { etag: object.etag } };
    }
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      'content-length': String(object.size),
      etag: object.etag,
      'last-modified': new Date(object.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
      'x-amz-server-side-encryption': 'AES256',
    };
    if (object.lock) {
      headers['x-amz-object-lock-mode'] = object.lock.mode;
      headers['x-amz-object-lock-retain-until-date'] = object.lock.retainUntil;
    }
    if (header(request, 'x-amz-checksum-mode') === 'ENABLED') {
      for (const [algorithm, value] of Object.entries(object.checksums)) {
        headers[`x-amz-checksum-${algorithm}`] = value;
      }
      if (Object.keys(object.checksums).length > 0) headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    return {
      status: 200,
      headers,
      body: request.method === 'HEAD' ? '' : store.body(bucket, key),
    };
  };

  const deleteObject = (bucket: string, key: string, request: HttpRequest): HttpReply => {
    requireBucket(bucket);
    const existing = store.object(bucket, key);
    if (existing) {
      refuseIfLocked(existing, request, now(), 'delete');
      store.deleteObject(bucket, key);
    }
    return { status: 204 };
  };

  const listObjectsV2 = (bucket: string, url: URL): HttpReply => {
    requireBucket(bucket);
    const params = url.searchParams;
    const prefix = params.get('prefix') ?? '';
    const delimiter = params.get('delimiter') ?? '';
    const encodingType = params.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') {
      throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400);
    }
    const maxKeysText = params.get('max-keys');
    const maxKeys = maxKeysText === null ? MAX_KEYS : Number(maxKeysText);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      throw new S3Error(
        'InvalidArgument',
        'Provided max-keys not an integer or within integer range',
        400,
      );
    }
    const token = params.get('continuation-token');
    const startAfter = params.get('start-after');
    let after = startAfter ?? '';
    if (token !== null) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (!decoded.startsWith('k:')) {
        throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400);
      }
      after = decoded.slice(2);
    }
    const afterBytes = Buffer.from(after, 'utf8');
    const contents: ObjectRecord[] = [];
    const commonPrefixes: string[] = [];
    let truncated = false;
    let last = '';
    for (const key of store.keys(bucket)) {
      if (!key.startsWith(prefix) || Buffer.compare(Buffer.from(key, 'utf8'), afterBytes) <= 0)
        continue;
      const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      const common = cut < 0 ? undefined : key.slice(0, cut + delimiter.length);
      // Keys rolled up into the last common prefix are skipped, not counted.
      if (common !== undefined && common === commonPrefixes[commonPrefixes.length - 1]) {
        last = key;
        continue;
      }
      if (contents.length + commonPrefixes.length >= Math.min(maxKeys, MAX_KEYS)) {
        truncated = true;
        break;
      }
      if (common !== undefined) commonPrefixes.push(common);
      else contents.push(store.object(bucket, key)!);
      last = key;
    }
    const encode = (text: string) => (encodingType === 'url' ? encodeURIComponent(text) : text);
    const body: XmlObject = {
      Name: bucket,
      Prefix: encode(prefix),
      ...(delimiter !== '' && { Delimiter: encode(delimiter) }),
      MaxKeys: Math.min(maxKeys, MAX_KEYS),
      KeyCount: contents.length + commonPrefixes.length,
      IsTruncated: truncated,
      ...(token !== null && { ContinuationToken: token }),
      ...(truncated && {
        NextContinuationToken: Buffer.from(`k:${last}`, 'utf8').toString('base64url'),
      }),
      ...(startAfter !== null && { StartAfter: encode(startAfter) }),
      ...(encodingType !== null && { EncodingType: encodingType }),
      Contents: contents.map((object) => ({
        Key: encode(object.key),
        LastModified: object.lastModified,
        ETag: object.etag,
        Size: object.size,
        StorageClass: 'STANDARD',
        ...(params.get('fetch-owner') === 'true' && {
          Owner: { ID: 'sandbox', DisplayName: 'sandbox' },
        }),
      })),
      CommonPrefixes: commonPrefixes.map((common) => ({ Prefix: encode(common) })),
    };
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: renderXml('ListBucketResult', NAMESPACE, body),
    };
  };

  const route = (request: HttpRequest): HttpReply => {
    const { method, url } = request;
    const [, bucketPart = '', ...keyParts] = url.pathname.split('/');
    let bucket: string;
    let key: string;
    try {
      bucket = decodeURIComponent(bucketPart);
      key = keyParts.map((part) => decodeURIComponent(part)).join('/');
    } catch {
      throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400);
    }
    if (bucket === '') throw notImplemented('ListBuckets');
    const params = [...url.searchParams.keys()];
    if (key === '') {
      const unknown = params.find((name) => !LIST_PARAMS.has(name));
      if (unknown !== undefined) throw notImplemented(`the ?${unknown} sub-resource`);
      if (method === 'PUT') return createBucket(bucket, request);
      if (method === 'HEAD') {
        requireBucket(bucket);
        return { status: 200, headers: { 'x-amz-bucket-region': options.region } };
      }
      if (method === 'GET' && url.searchParams.get('list-type') === '2') {
        return listObjectsV2(bucket, url);
      }
      throw notImplemented(`${method} on a bucket`);
    }
    const unknown = params.find((name) => name !== 'x-id');
    if (unknown !== undefined) throw notImplemented(`the ?${unknown} sub-resource`);
    if (method === 'PUT') return putObject(bucket, key, request);
    if (method === 'GET' || method === 'HEAD') return getObject(bucket, key, request);
    if (method === 'DELETE') return deleteObject(bucket, key, request);
    throw notImplemented(`${method} on an object`);
  };

  return {
    signingName: 's3',
    async handle(request): Promise<HttpReply> {
      const requestId = randomBytes(8).toString('hex').toUpperCase();
      try {
        const reply = route(request);
        const headers: Record<string, string> = { 'x-amz-request-id': requestId, ...reply.headers };
        return { ...reply, headers };
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        const fields = error instanceof S3Error ? error.fields : {};
        return {
          status: error.status,
          headers: { 'x-amz-request-id': requestId, 'content-type': 'application/xml' },
          // A HEAD answer has no body: the SDK knows the error by its status alone.
          body:
            request.method === 'HEAD'
              ? ''
              : renderXml('Error', '', {
                  Code: error.code,
                  Message: error.message,
                  ...fields,
                  Resource: request.url.pathname,
                  RequestId: requestId,
                }),
        };
      }
    },
  };
}

class S3Error extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly fields: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

function notImplemented(what: string): S3Error {
  return new S3Error('NotImplemented', `The sandbox does not implement ${what}.`, 501);
}

function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function lockFrom(
  request: HttpRequest,
  now: number,
): { mode: ObjectLockMode; retainUntil: string } | undefined {
  const mode = header(request, 'x-amz-object-lock-mode');
  const until = header(request, 'x-amz-object-lock-retain-until-date');
  if (mode === undefined && until === undefined) return undefined;
  if (mode === undefined || until === undefined) {
    throw new S3Error(
      'InvalidArgument',
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      400,
    );
  }
  if (!LOCK_MODES.includes(mode)) {
    throw new S3Error('InvalidArgument', 'Unknown wormMode directive.', 400);
  }
  const time = Date.parse(until);
  if (Number.isNaN(time)) {
    throw new S3Error('InvalidArgument', 'The retain until date is not a valid date.', 400);
  }
  if (time <= now) {
    throw new S3Error('InvalidArgument', 'The retain until date must be in the future!', 400);
  }
  return { mode: mode as ObjectLockMode, retainUntil: new Date(time).toISOString() };
}

function refuseIfLocked(
  object: ObjectRecord,
  request: HttpRequest,
  now: number,
  what: 'overwrite' | 'delete',
): void {
  if (!object.lock || Date.parse(object.lock.retainUntil) <= now) return;
  const bypass = header(request, 'x-amz-bypass-governance-retention') === 'true';
  if (object.lock.mode === 'GOVERNANCE' && bypass) return;
  throw new S3Error(
    'AccessDenied',
    `Access Denied because object protected by object lock (${object.lock.mode} until ${object.lock.retainUntil}): cannot ${what} it`,
    403,
  );
}

function checkPreconditions(request: HttpRequest, existing: ObjectRecord | undefined): void {
  const ifNoneMatch = header(request, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw notImplemented(`If-None-Match other than *`);
    if (existing) {
      throw new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        412,
        { Condition: 'If-None-Match' },
      );
    }
  }
  const ifMatch = header(request, 'if-match');
  if (ifMatch !== undefined && (!existing || existing.etag !== ifMatch)) {
    if (!existing) throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404);
    throw new S3Error(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
      { Condition: 'If-Match' },
    );
  }
}
