import type { S3Client } from '@aws-sdk/client-s3';
import type { RedisClient } from '../../util/redis-client';
import type { OpsdeckConfig } from '../../config/schema';
import type { Logger } from '../../log/logger';
import type { Outbox } from '../../notify/outbox';
import type { AuditStore } from '../audit-store';
import type { AuditWriter } from '../audit-writer';
import { anchorPublicKey, intervalMs, type AuditAnchorConfig } from '../../config/audit-anchor';
import { anchoredText, healthText } from './anchor-messages';
import { AnchorScheduler } from './anchor-scheduler';
import { AnchorWriter } from './anchor-writer';
import { createDigestSink } from './create-digest-sink';
import { loadSigningKey } from '../../config/audit-signing-key';

export interface Anchoring {
  scheduler: AnchorScheduler;
  writer: AnchorWriter;
}

export interface AnchoringDeps {
  config: Pick<OpsdeckConfig, 'redis' | 'slack'> & { audit: { anchor?: AuditAnchorConfig } };
  env: NodeJS.ProcessEnv;
  redis: RedisClient;
  outbox: Pick<Outbox, 'enqueue'>;
  auditStore: AuditStore;
  auditWriter: Pick<AuditWriter, 'flush'>;
  s3: () => S3Client;
  logger: Logger;
}

/**
 * The digest writing of a worker, when `audit.anchor` is configured (else undefined). Reads the
 * signing key from the environment and checks it against the configured public key: a worker
 * that cannot sign does not start.
 */
export function createAnchoring(deps: AnchoringDeps): Anchoring | undefined {
  const anchor = deps.config.audit.anchor;
  if (!anchor) return undefined;
  const key = loadSigningKey(deps.env, anchor.signingKeyEnv, anchorPublicKey(anchor));
  const sink = createDigestSink(anchor, deps.s3);
  const { channel } = anchor;
  const writer = new AnchorWriter({
    store: deps.auditStore,
    sink,
    key,
    prefix: anchor.prefix,
    redis: deps.redis,
    redisPrefix: deps.config.redis.prefix,
    intervalMs: intervalMs(anchor),
    ...(channel !== undefined && {
      announce: (digest, name) =>
        deps.outbox.enqueue(`audit-anchor:${name}`, {
          kind: 'root',
          channel,
          text: anchoredText(digest, name, sink.description),
        }),
    }),
  });
  const scheduler = new AnchorScheduler({
    writer,
    flushSpool: (timeoutMs) => deps.auditWriter.flush(timeoutMs),
    intervalMs: intervalMs(anchor),
    retryBaseDelayMs: anchor.retryBaseDelayMs,
    retryMaxDelayMs: anchor.retryMaxDelayMs,
    report: (report) =>
      deps.outbox.enqueue(`audit-anchor-health:${Date.now()}`, {
        kind: 'root',
        channel: deps.config.slack.alertChannel,
        text: healthText(report, sink.description),
      }),
    logger: deps.logger,
  });
  return { scheduler, writer };
}
