/** The BullMQ queues opsdeck uses; every one lives under the configured Redis prefix. */
export const QueueName = {
  /** Runbook jobs. */
  Ops: 'ops',
  /** Slack messages waiting to be posted (see src/notify). */
  Notify: 'notify',
  /** Status feed polls, produced by one job scheduler per feed (see src/feeds). */
  Feeds: 'feeds',
  /** Replica checks, produced by one job scheduler per watched replica (see src/replicas). */
  Replicas: 'replicas',
} as const;
