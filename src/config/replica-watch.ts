import { createHash } from 'node:crypto';
import { z } from 'zod';
import { channelRef } from './config-fields';

/**
 * The `replicaWatch` section: the standing check of every configured replica (`replicas`), each
 * on a job scheduler of its own (src/replicas/replica-watch-worker.ts), and the thresholds its
 * alerts go off at. A replica's own `watchSeconds` overrides the interval.
 *
 *   replicaWatch:
 *     intervalSeconds: 60     # each replica's check, at an offset of its own in the interval
 *     lagSeconds: 300         # alert when the replica is further behind than this
 *     marginHours: 24         # alert when the source would purge what the replica needs sooner
 *     channel: C0ALERTS       # slack.alertChannel when omitted
 *     escalate: { userGroup: S0DBA, afterMinutes: 30 }   # mentioned once if still unresolved
 */
export const ReplicaWatchConfig = z.strictObject({
  /** Off: no replica is watched (the schedulers are removed). */
  enabled: z.boolean().default(true),
  intervalSeconds: z.number().min(1).max(86_400).default(60),
  lagSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(300),
  marginHours: z
    .number()
    .min(0.01)
    .max(24 * 7)
    .default(24),
  channel: channelRef.optional(),
  /**
   * An incident still unresolved `afterMinutes` after it opened mentions this Slack user group
   * (its id, S…) in its thread, once (not while the replica is muted).
   */
  escalate: z
    .strictObject({
      userGroup: z.string().regex(/^S[A-Z0-9]{1,30}$/, 'must be a Slack user group id (S…)'),
      afterMinutes: z
        .number()
        .min(1)
        .max(7 * 24 * 60)
        .default(30),
    })
    .optional(),
  /** One check's connections to the replica and to its source. */
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
});
export type ReplicaWatchConfig = z.infer<typeof ReplicaWatchConfig>;

/** A watched replica with its schedule: every `intervalMs`, at `offsetMs` into the interval. */
export interface WatchSchedule {
  replica: string;
  intervalMs: number;
  offsetMs: number;
}

/**
 * Each replica's schedule: its own `watchSeconds` or the section's interval, at an offset drawn
 * from its name, so checks of several replicas do not align and a restart keeps each one's rhythm.
 */
export function watchSchedules(
  replicas: Readonly<Record<string, { watchSeconds?: number | undefined }>>,
  config: ReplicaWatchConfig,
): WatchSchedule[] {
  if (!config.enabled) return [];
  return Object.entries(replicas)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([replica, target]) => {
      const intervalMs = Math.round((target.watchSeconds ?? config.intervalSeconds) * 1000);
      const unit =
        createHash('sha256').update(`replica-watch:${replica}`).digest().readUInt32BE(0) / 2 ** 32;
      return { replica, intervalMs, offsetMs: Math.floor(unit * intervalMs) };
    });
}
