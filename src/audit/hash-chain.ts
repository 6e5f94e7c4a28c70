import { createHash } from 'node:crypto';
import type { PreparedEvent } from './audit-event';

/**
 * The hash chain: each row's hash covers its stored content and the previous row's hash, so an
 * edited, deleted or inserted row breaks the chain at that point. The serialization is a JSON
 * array of the stored column values in a fixed order, so verification recomputes it from the
 * database alone. The row's `seq` is left out: the chain, not the numbering, defines the order.
 */

export const GENESIS_HASH = '0'.repeat(64);
const VERSION = 'opsdeck.audit.v1';

export function canonicalEvent(event: PreparedEvent): string {
  return JSON.stringify([
    VERSION,
    event.eventId,
    event.at,
    event.type,
    event.actorId,
    event.actorName,
    event.channelId,
    event.channelName,
    event.command,
    event.target,
    event.jobId,
    event.step,
    event.argsJson,
    event.detailJson,
  ]);
}

export function chainHash(prevHash: string, event: PreparedEvent): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalEvent(event)}`, 'utf8')
    .digest('hex');
}
