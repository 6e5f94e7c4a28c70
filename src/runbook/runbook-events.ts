import type { JobMeta } from './job-envelope';
import type { Outcome } from './checkpoint';
import type { ProgressLine } from './progress-meter';
import type { Mrkdwn } from '../slack/mrkdwn';

/**
 * What the engine tells the world. Observers turn these into Slack lines, metrics and audit
 * rows; the engine knows none of them.
 */
export type RunbookEvent =
  | { type: 'started'; resumed: boolean; run: number }
  | { type: 'step-started'; step: string; index: number; count: number; attempt: number }
  | { type: 'step-finished'; step: string; durationMs: number }
  | { type: 'step-retry'; step: string; attempt: number; delayMs: number; error: string }
  | { type: 'step-failed'; step: string; durationMs: number; error: string; code?: string }
  | { type: 'progress'; step: string; line: ProgressLine }
  | { type: 'say'; step: string; text: Mrkdwn }
  | { type: 'record'; step: string; what: string; detail: Record<string, unknown> }
  | { type: 'cleanup'; step: string; name: string; ok: boolean; error?: string }
  | { type: 'finished'; outcome: Outcome; durationMs: number; error?: string };

export interface RunbookObserver {
  onEvent(meta: JobMeta, event: RunbookEvent, at: number): Promise<void> | void;
}
