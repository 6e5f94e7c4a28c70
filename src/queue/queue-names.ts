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
  /** Reminders of emergencies waiting for review, produced by one job scheduler (see src/approvals). */
  Reviews: 'reviews',
} as const;
