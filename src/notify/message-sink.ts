import type { OutboxMessage } from './outbox-message';

/** Anything that takes thread messages in order (the outbox). */
export interface MessageSink {
  enqueue(threadKey: string, message: OutboxMessage): Promise<void>;
}
