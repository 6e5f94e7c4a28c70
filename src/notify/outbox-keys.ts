/** The BullMQ queue that carries drain jobs, and the name of its one job type. */
export const NOTIFY_QUEUE = 'notify';
export const DRAIN_JOB = 'drain';

export interface DrainJobData {
  threadKey: string;
}

/**
 * Redis keys of one thread's outbox: the pending messages (a list, oldest first), where the root
 * was posted (a hash: channel, ts, and the channel as requested, which paces the replies) and the
 * lock of the one drainer allowed to send for the thread.
 */
export function threadKeys(prefix: string, threadKey: string) {
  const base = `${prefix}:outbox:thread:${threadKey}`;
  return { messages: `${base}:messages`, state: `${base}:state`, lock: `${base}:lock` };
}

/** What a thread state's MAC covers: the thread and where its root was posted. */
export function threadStateRecord(
  threadKey: string,
  state: { channel?: string | undefined; ts?: string | undefined; requested?: string | undefined },
): unknown {
  return {
    threadKey,
    channel: state.channel ?? null,
    ts: state.ts ?? null,
    requested: state.requested ?? null,
  };
}
