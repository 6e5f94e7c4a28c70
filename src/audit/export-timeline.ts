import type { AuditRow } from './audit-event';
import type { AuditQuery, AuditStore } from './audit-store';
import { buildJobTimeline, buildTimelines, type JobTimeline, type Person } from './timeline';
import { isoSeconds } from '../util/time';
import { code, date, join, md, mention, type Mrkdwn } from '../slack/mrkdwn';

/**
 * The audit trail as a document: markdown laid out for a postmortem, CSV for spreadsheets, JSON
 * for tools; and one job's timeline for `/ops audit <job-id>` in Slack.
 */

export const EXPORT_FORMATS = ['md', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRange {
  since: number;
  until: number;
  actor?: string;
  command?: string;
}

export interface TimelineExport {
  range: ExportRange;
  jobs: JobTimeline[];
  /** Events outside any job (denials, refused requests). */
  other: AuditRow[];
  /** Every row behind the jobs and events above, in time order. */
  rows: AuditRow[];
}

/**
 * Loads the events in [since, until) that match the filters; for every job among them, all of
 * that job's events (also those outside the range), so each story is whole.
 */
export async function loadTimeline(store: AuditStore, range: ExportRange): Promise<TimelineExport> {
  const filter: AuditQuery = { since: range.since, until: range.until };
  if (range.actor !== undefined) filter.actor = range.actor;
  if (range.command !== undefined) filter.command = range.command;
  const matched = await store.query(filter);
  const jobIds = [...new Set(matched.flatMap((row) => (row.jobId === null ? [] : [row.jobId])))];
  const jobRows = await store.query({ jobIds });
  const rows = [...jobRows, ...matched.filter((row) => row.jobId === null)].sort(
    (a, b) => a.at - b.at || a.seq - b.seq,
  );
  return { range, rows, ...buildTimelines(rows) };
}

/** One job's timeline, or null when the trail has nothing for it. */
export async function jobTimeline(store: AuditStore, jobId: string): Promise<JobTimeline | null> {
  const rows = await store.jobEvents(jobId);
  return rows.length === 0 ? null : buildJobTimeline(rows);
}

export function renderTimeline(data: TimelineExport, format: ExportFormat): string {
  if (format === 'json') return renderJson(data);
  if (format === 'csv') return renderCsv(data.rows);
  return renderMarkdown(data);
}

function renderJson(data: TimelineExport): string {
  const parse = (json: string | null) => (json === null ? null : (JSON.parse(json) as unknown));
  const event = ({ argsJson, detailJson, ...row }: AuditRow) => ({
    ...row,
    time: new Date(row.at).toISOString(),
    args: parse(argsJson),
    detail: parse(detailJson),
  });
  return `${JSON.stringify(
    {
      range: {
        ...data.range,
        since: new Date(data.range.since).toISOString(),
        until: new Date(data.range.until).toISOString(),
      },
      jobs: data.jobs,
      other: data.other.map(event),
      events: data.rows.map(event),
    },
    null,
    2,
  )}\n`;
}

const CSV_COLUMNS = [
  'seq',
  'time',
  'type',
  'actor_id',
  'actor_name',
  'channel',
  'command',
  'target',
  'job_id',
  'step',
  'args',
  'detail',
  'hash',
] as const;

function renderCsv(rows: readonly AuditRow[]): string {
  const lines = rows.map((row) =>
    [
      String(row.seq),
      new Date(row.at).toISOString(),
      row.type,
      row.actorId,
      row.actorName,
      row.channelName !== null ? `#${row.channelName}` : row.channelId,
      row.command,
      row.target,
      row.jobId,
      row.step,
      row.argsJson,
      row.detailJson,
      row.hash,
    ]
      .map(csvField)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...lines].join('\r\n') + '\r\n';
}

/** RFC 4180 quoting; text a spreadsheet would run as a formula gets a leading apostrophe. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function renderMarkdown(data: TimelineExport): string {
  const { range } = data;
  const filters = [
    range.actor !== undefined ? `actor ${range.actor}` : null,
    range.command !== undefined ? `command ${range.command}` : null,
  ].filter((f): f is string => f !== null);
  const out = [
    '# Audit timeline',
    '',
    `${isoSeconds(range.since)} to ${isoSeconds(range.until)} (UTC)${filters.length > 0 ? `, ${filters.join(', ')}` : ''}: ${data.jobs.length} job(s), ${data.other.length} other event(s).`,
  ];
  for (const job of data.jobs) out.push('', ...jobMarkdown(job));
  if (data.other.length > 0) {
    out.push(
      '',
      '## Other events',
      '',
      '| Time (UTC) | Event | Who | Command | Target | Detail |',
      '|---|---|---|---|---|---|',
    );
    for (const row of data.other) {
      out.push(
        `| ${isoSeconds(row.at)} | ${row.type} | ${cell(personText(row.actorId === null ? null : { id: row.actorId, name: row.actorName }))} | ${cell(row.command)} | ${cell(row.target)} | ${cell(row.detailJson)} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function jobMarkdown(job: JobTimeline): string[] {
  const lines = [
    `## ${job.command ?? 'job'}${job.target !== null ? ` on ${job.target}` : ''}: ${job.outcome}`,
    '',
  ];
  lines.push(`- **Job:** \`${job.jobId}\``);
  if (job.requestedAt !== null) {
    lines.push(
      `- **Requested:** ${isoSeconds(job.requestedAt)} by ${personText(job.requester)}${job.channel !== null ? ` in ${job.channel}` : ''}`,
    );
  }
  if (job.args !== null)
    lines.push(`- **Arguments:** \`${JSON.stringify(job.args).replace(/`/g, "'")}\``);
  for (const decision of job.decisions) {
    const label =
      decision.type === 'approval-requested' ? 'Approval requested' : capitalize(decision.type);
    const by =
      decision.type === 'approval-requested' || decision.by === null
        ? ''
        : ` by ${personText(decision.by)}`;
    const note = decision.note === undefined ? '' : ` (${JSON.stringify(decision.note)})`;
    lines.push(`- **${label}:** ${isoSeconds(decision.at)}${by}${note}`);
  }
  if (job.startedAt !== null) lines.push(`- **Started:** ${isoSeconds(job.startedAt)}`);
  if (job.endedAt !== null) {
    const took =
      job.startedAt !== null ? ` (${duration(job.endedAt - job.startedAt)} after start)` : '';
    lines.push(
      `- **${capitalize(job.outcome)}:** ${isoSeconds(job.endedAt)}${took}${job.endDetail ? `: ${job.endDetail}` : ''}`,
    );
  }
  if (job.steps.length > 0) {
    lines.push(
      '',
      '| Step | Started (UTC) | Ended (UTC) | Duration | Outcome |',
      '|---|---|---|---|---|',
    );
    for (const step of job.steps) {
      const outcome = `${step.outcome}${step.attempts > 1 ? ` (${step.attempts} attempts)` : ''}${step.error ? `: ${step.error}` : ''}`;
      lines.push(
        `| ${cell(step.name)} | ${step.startedAt === null ? '' : isoSeconds(step.startedAt)} | ${step.endedAt === null ? '' : isoSeconds(step.endedAt)} | ${step.startedAt !== null && step.endedAt !== null ? duration(step.endedAt - step.startedAt) : ''} | ${cell(outcome)} |`,
      );
    }
  }
  if (job.records.length > 0) {
    lines.push('', '**Recorded:**');
    for (const record of job.records) {
      lines.push(
        `- ${isoSeconds(record.at)} ${record.step}: ${record.what} \`${JSON.stringify(record.detail)}\``,
      );
    }
  }
  if (job.cleanups.length > 0) {
    lines.push('', '**Cleanups:**');
    for (const cleanup of job.cleanups) {
      lines.push(
        `- ${cleanup.name}: ${cleanup.ok ? 'ok' : `FAILED${cleanup.error ? `: ${cleanup.error}` : ''}`} at ${isoSeconds(cleanup.at)}`,
      );
    }
  }
  return lines;
}

/** One job for Slack (`/ops audit <job-id>`): mrkdwn with date tokens, every recorded value as text. */
export function jobTimelineMrkdwn(job: JobTimeline): Mrkdwn {
  const who = (person: Person | null) =>
    person === null ? md`someone unknown` : mention(person.id);
  const target = job.target !== null ? md` on ${code(job.target)}` : md``;
  const lines = [md`*${job.command ?? 'job'}*${target}: *${job.outcome}* · ${code(job.jobId)}`];
  if (job.requestedAt !== null)
    lines.push(md`• requested by ${who(job.requester)} ${date(job.requestedAt)}`);
  for (const d of job.decisions) {
    const by = d.type === 'approval-requested' || d.by === null ? md`` : md` by ${who(d.by)}`;
    const note = d.note === undefined ? md`` : md`: ${d.note}`;
    const label =
      d.type === 'emergency'
        ? md`:rotating_light: emergency, without approval,`
        : md`${d.type.replace('-', ' ')}`;
    lines.push(md`• ${label}${by} ${date(d.at)}${note}`);
  }
  for (const step of job.steps) {
    const mark =
      step.outcome === 'ok'
        ? ':white_check_mark:'
        : step.outcome === 'failed'
          ? ':x:'
          : ':hourglass_flowing_sand:';
    const span =
      step.startedAt !== null && step.endedAt !== null
        ? md` ${date(step.startedAt)} → ${date(step.endedAt, '{time_secs}')} (${duration(step.endedAt - step.startedAt)})`
        : step.startedAt !== null
          ? md` since ${date(step.startedAt)}`
          : md``;
    lines.push(
      step.error ? md`${mark} ${step.name}${span}: ${step.error}` : md`${mark} ${step.name}${span}`,
    );
  }
  for (const record of job.records) {
    lines.push(
      md`:memo: ${record.step}: ${record.what} ${date(record.at)} ${code(JSON.stringify(record.detail))}`,
    );
  }
  for (const cleanup of job.cleanups) {
    lines.push(
      md`${cleanup.ok ? ':broom:' : ':warning: cleanup failed:'} ${cleanup.name} ${date(cleanup.at)}`,
    );
  }
  if (job.endedAt !== null) {
    lines.push(
      job.endDetail
        ? md`• ${job.outcome} ${date(job.endedAt)}: ${job.endDetail}`
        : md`• ${job.outcome} ${date(job.endedAt)}`,
    );
  }
  return join(lines, '\n');
}

function personText(person: Person | null): string {
  if (person === null) return 'unknown';
  return person.name !== null ? `${person.name} (${person.id})` : person.id;
}

/** A markdown table cell: pipes escaped, one line. */
function cell(text: string | null): string {
  return (text ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `3h 2m 5s`, `12m 0s`, `4s`, `850ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}
