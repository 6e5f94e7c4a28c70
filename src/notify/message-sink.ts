import type { OutboxMessage } from './outbox-message';

/**
 * Anything that takes thread messages in order (the outbox). A thread has one root: a second root
 * for the same thread key is dropped.
 */
export interface MessageSink {
  enqueue(threadKey: string, message: OutboxMessage): Promise<void>;
}
