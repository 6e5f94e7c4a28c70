import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditAnchorConfig } from '../../config/audit-anchor';
import type { DigestSink } from './digest-sink';
import { DirectoryDigestSink } from './directory-digest-sink';
import { S3DigestSink } from './s3-digest-sink';

/** The sink `audit.anchor.sink` names; the S3 client is only made when it is a bucket. */
export function createDigestSink(anchor: AuditAnchorConfig, s3: () => S3Client): DigestSink {
  const { sink, prefix } = anchor;
  if ('s3' in sink) return new S3DigestSink(s3(), { ...sink.s3, prefix });
  return new DirectoryDigestSink(sink.directory, prefix);
}
