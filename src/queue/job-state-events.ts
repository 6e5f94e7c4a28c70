import { QueueEvents } from 'bullmq';
import type { RedisClient } from '../util/redis-client';
import { QueueName } from './queue-names';

/** The job events that change what runs or waits: queued, started, finished, removed. */
const STATE_EVENTS = [
  'added',
  'waiting',
  'active',
  'delayed',
  'completed',
  'failed',
  'removed',
] as const;

/**
 * Calls `onChange` whenever a runbook job changes state, in whichever process it happened
 * (BullMQ's event stream in Redis, read on a blocking duplicate of `connection`, which `close`
 * ends). Errors of that connection go to `onError`; it reconnects by itself.
 */
export function watchJobStates(
  connection: RedisClient,
  prefix: string,
  onChange: () => void,
  onError: (error: Error) => void,
): { close(): Promise<void> } {
  const events = new QueueEvents(QueueName.Ops, { connection, prefix });
  for (const name of STATE_EVENTS) events.on(name, () => onChange());
  events.on('error', onError);
  return { close: () => events.close() };
}
