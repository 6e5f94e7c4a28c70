import type { AuditEventType, AuditRow } from './audit-event';

/**
 * The audit rows of a job folded into its story: who asked for what, who approved, each step
 * with its start and end, cleanups, and how it ended. Rows without a job (denials, refused
 * requests) stay single events.
 */

export interface Person {
  id: string;
  name: string | null;
}

export interface TimelineStep {
  name: string;
  startedAt: number | null;
  endedAt: number | null;
  outcome: 'running' | 'ok' | 'failed';
  /** How often the step was started (retries, resumes). */
  attempts: number;
  error: string | null;
}

export type JobOutcome =
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'refused'
  | 'awaiting-approval'
  | 'running'
  | 'requested';

export interface JobTimeline {
  jobId: string;
  command: string | null;
  target: string | null;
  requester: Person | null;
  channel: string | null;
  args: unknown;
  requestedAt: number | null;
  decisions: {
    /** `emergency`: run without its approval (break glass); `reviewed`: an approver reviewed that. */
    type: 'approval-requested' | 'approved' | 'rejected' | 'expired' | 'emergency' | 'reviewed';
    by: Person | null;
    at: number;
    /** An emergency's reason. */
    note?: string;
  }[];
  startedAt: number | null;
  steps: TimelineStep[];
  cleanups: { name: string; at: number; ok: boolean; error: string | null }[];
  /** Facts steps recorded (coordinates read, a state found before changing it), in order. */
  records: TimelineRecord[];
  outcome: JobOutcome;
  endedAt: number | null;
  /** Who cancelled, or the error the job failed with. */
  endDetail: string | null;
}

export interface TimelineRecord {
  step: string;
  what: string;
  at: number;
  detail: Record<string, unknown>;
}

const TERMINAL: Partial<Record<AuditEventType, JobOutcome>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  rejected: 'rejected',
  expired: 'expired',
  refused: 'refused',
};

export function buildTimelines(rows: readonly AuditRow[]): {
  jobs: JobTimeline[];
  other: AuditRow[];
} {
  const byJob = new Map<string, AuditRow[]>();
  const other: AuditRow[] = [];
  for (const row of sortRows(rows)) {
    if (row.jobId === null) other.push(row);
    else byJob.set(row.jobId, [...(byJob.get(row.jobId) ?? []), row]);
  }
  const jobs = [...byJob.values()].map(buildJobTimeline);
  return { jobs, other };
}

export function buildJobTimeline(rows: readonly AuditRow[]): JobTimeline {
  const sorted = sortRows(rows);
  const first = sorted[0];
  if (!first || first.jobId === null)
    throw new RangeError('buildJobTimeline needs the rows of one job');
  const timeline: JobTimeline = {
    jobId: first.jobId,
    command: null,
    target: null,
    requester: null,
    channel: null,
    args: null,
    requestedAt: null,
    decisions: [],
    startedAt: null,
    steps: [],
    cleanups: [],
    records: [],
    outcome: 'requested',
    endedAt: null,
    endDetail: null,
  };
  const steps = new Map<string, TimelineStep>();
  for (const row of sorted) {
    timeline.command ??= row.command;
    timeline.target ??= row.target;
    timeline.channel ??= row.channelName !== null ? `#${row.channelName}` : row.channelId;
    const person = row.actorId === null ? null : { id: row.actorId, name: row.actorName };
    const detail = parse(row.detailJson);
    switch (row.type) {
      case 'requested':
        timeline.requester = person;
        timeline.requestedAt = row.at;
        timeline.args = parse(row.argsJson);
        if (isEmergency(detail))
          timeline.decisions.push({
            type: 'emergency',
            by: person,
            at: row.at,
            note: String(detail.emergency.reason),
          });
        break;
      case 'reviewed':
        timeline.decisions.push({ type: row.type, by: person, at: row.at });
        break;
      case 'approval-requested':
      case 'approved':
        timeline.decisions.push({ type: row.type, by: person, at: row.at });
        if (row.type === 'approval-requested') timeline.outcome = 'awaiting-approval';
        break;
      case 'started':
        timeline.startedAt ??= row.at;
        timeline.requester ??= person;
        timeline.outcome = 'running';
        break;
      case 'step-started': {
        const name = row.step ?? '(unnamed)';
        const step = steps.get(name) ?? {
          name,
          startedAt: row.at,
          endedAt: null,
          outcome: 'running' as const,
          attempts: 0,
          error: null,
        };
        step.attempts += 1;
        step.outcome = 'running';
        steps.set(name, step);
        break;
      }
      case 'step-finished':
      case 'step-failed': {
        const name = row.step ?? '(unnamed)';
        const step = steps.get(name) ?? {
          name,
          startedAt: null,
          endedAt: null,
          outcome: 'running',
          attempts: 0,
          error: null,
        };
        step.endedAt = row.at;
        step.outcome = row.type === 'step-finished' ? 'ok' : 'failed';
        step.error = row.type === 'step-failed' ? errorText(detail) : null;
        steps.set(name, step);
        break;
      }
      case 'cleanup':
        timeline.cleanups.push({
          name: row.step ?? '(unnamed)',
          at: row.at,
          ok: !(isObject(detail) && detail.ok === false),
          error: errorText(detail),
        });
        break;
      case 'step-recorded': {
        const { what, ...facts } = isObject(detail) ? detail : {};
        timeline.records.push({
          step: row.step ?? '(unnamed)',
          what: typeof what === 'string' ? what : '(unnamed)',
          at: row.at,
          detail: facts,
        });
        break;
      }
      case 'denied':
        timeline.endDetail = errorText(detail);
        break;
      default: {
        const outcome = TERMINAL[row.type];
        if (outcome) {
          if (row.type === 'rejected' || row.type === 'expired') {
            timeline.decisions.push({ type: row.type, by: person, at: row.at });
          }
          timeline.outcome = outcome;
          timeline.endedAt = row.at;
          timeline.endDetail =
            row.type === 'cancelled' && person
              ? `cancelled by ${person.name ?? person.id}`
              : errorText(detail);
        }
      }
    }
  }
  timeline.steps = [...steps.values()];
  return timeline;
}

function sortRows(rows: readonly AuditRow[]): AuditRow[] {
  return [...rows].sort((a, b) => a.at - b.at || a.seq - b.seq);
}

function parse(json: string | null): unknown {
  return json === null ? null : (JSON.parse(json) as unknown);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `detail.error` (or `detail.reason`) when the detail carries one. */
function errorText(detail: unknown): string | null {
  if (typeof detail === 'string') return detail;
  if (!isObject(detail)) return null;
  const text = detail.error ?? detail.reason;
  if (typeof text === 'string') return text;
  return isObject(text) && typeof text.message === 'string' ? text.message : null;
}

function isEmergency(detail: unknown): detail is { emergency: { reason: unknown } } {
  const emergency = (detail as { emergency?: unknown } | null)?.emergency;
  return typeof emergency === 'object' && emergency !== null && 'reason' in emergency;
}
