import { prepareEvent, type AuditEventInput, type AuditRow } from '../../../src/audit/audit-event';
import {
  csvField,
  duration,
  jobTimelineMrkdwn,
  renderTimeline,
} from '../../../src/audit/export-timeline';
import { GENESIS_HASH, chainHash } from '../../../src/audit/hash-chain';
import { buildTimelines } from '../../../src/audit/timeline';

const T0 = Date.parse('2025-11-21T16:00:00Z');
const alice = { id: 'UALICE', name: 'alice' };
const bob = { id: 'UBOB', name: 'bob' };
const job = { jobId: 'restore-table-0123456789', command: 'restore-table', target: 'billing' };

const inputs: AuditEventInput[] = [
  {
    type: 'requested',
    at: T0,
    actor: alice,
    channel: { id: 'C1', name: 'ops' },
    ...job,
    args: { table: 'invoices', password: 'x' },
  },
  { type: 'approval-requested', at: T0 + 1000, actor: alice, ...job },
  { type: 'approved', at: T0 + 60_000, actor: bob, ...job },
  { type: 'started', at: T0 + 61_000, actor: alice, ...job },
  { type: 'step-started', at: T0 + 62_000, actor: alice, ...job, step: 'restore-instance' },
  { type: 'step-finished', at: T0 + 662_000, actor: alice, ...job, step: 'restore-instance' },
  {
    type: 'step-recorded',
    at: T0 + 662_500,
    actor: alice,
    ...job,
    step: 'restore-instance',
    detail: { what: 'instance name', name: 'billing-1-restore-0123456789' },
  },
  { type: 'step-started', at: T0 + 663_000, actor: alice, ...job, step: 'copy-table' },
  {
    type: 'step-failed',
    at: T0 + 670_000,
    actor: alice,
    ...job,
    step: 'copy-table',
    detail: { error: 'table | missing' },
  },
  {
    type: 'cleanup',
    at: T0 + 671_000,
    actor: alice,
    ...job,
    step: 'delete-instance',
    detail: { ok: true },
  },
  {
    type: 'failed',
    at: T0 + 672_000,
    actor: alice,
    ...job,
    detail: { error: 'copy-table failed' },
  },
  {
    type: 'denied',
    at: T0 + 5000,
    actor: { id: 'UEVE', name: 'eve' },
    command: 'drop-db',
    detail: { reason: 'no access rule covers `drop-db`' },
  },
];

function rows(): AuditRow[] {
  let prev = GENESIS_HASH;
  return inputs.map((input, i) => {
    const event = prepareEvent(input);
    const hash = chainHash(prev, event);
    const row = { ...event, seq: i + 1, prevHash: prev, hash };
    prev = hash;
    return row;
  });
}

const all = rows();
const data = {
  range: { since: T0, until: T0 + 3_600_000, actor: 'alice' },
  rows: all,
  ...buildTimelines(all),
};

describe('timeline', () => {
  it('folds a job into requester, approvals, steps, cleanups and outcome', () => {
    expect(data.jobs).toHaveLength(1);
    expect(data.jobs[0]).toMatchObject({
      jobId: job.jobId,
      requester: alice,
      channel: '#ops',
      args: { table: 'invoices', password: '[REDACTED]' },
      decisions: [
        { type: 'approval-requested', at: T0 + 1000 },
        { type: 'approved', by: bob, at: T0 + 60_000 },
      ],
      steps: [
        {
          name: 'restore-instance',
          startedAt: T0 + 62_000,
          endedAt: T0 + 662_000,
          outcome: 'ok',
          attempts: 1,
        },
        { name: 'copy-table', outcome: 'failed', error: 'table | missing' },
      ],
      cleanups: [{ name: 'delete-instance', ok: true }],
      records: [
        {
          step: 'restore-instance',
          what: 'instance name',
          at: T0 + 662_500,
          detail: { name: 'billing-1-restore-0123456789' },
        },
      ],
      outcome: 'failed',
      endDetail: 'copy-table failed',
    });
    expect(data.other.map((r) => r.type)).toEqual(['denied']);
  });
});

describe('renderTimeline', () => {
  it('writes markdown for a postmortem: who, what, approved by whom, steps with times, outcome', () => {
    const md = renderTimeline(data, 'md');
    expect(md).toContain(
      '2025-11-21T16:00:00Z to 2025-11-21T17:00:00Z (UTC), actor alice: 1 job(s), 1 other event(s).',
    );
    expect(md).toContain('## restore-table on billing: failed');
    expect(md).toContain('- **Requested:** 2025-11-21T16:00:00Z by alice (UALICE) in #ops');
    expect(md).toContain('- **Arguments:** `{"password":"[REDACTED]","table":"invoices"}`');
    expect(md).toContain('- **Approved:** 2025-11-21T16:01:00Z by bob (UBOB)');
    expect(md).toContain(
      '| restore-instance | 2025-11-21T16:01:02Z | 2025-11-21T16:11:02Z | 10m 0s | ok |',
    );
    expect(md).toContain(
      '| copy-table | 2025-11-21T16:11:03Z | 2025-11-21T16:11:10Z | 7s | failed: table \\| missing |',
    );
    expect(md).toContain(
      '- **Failed:** 2025-11-21T16:11:12Z (10m 11s after start): copy-table failed',
    );
    expect(md).toContain('- delete-instance: ok at 2025-11-21T16:11:11Z');
    expect(md).toContain(
      '- 2025-11-21T16:11:02Z restore-instance: instance name `{"name":"billing-1-restore-0123456789"}`',
    );
    expect(md).toContain('| 2025-11-21T16:00:05Z | denied | eve (UEVE) | drop-db |');
  });

  it('writes CSV with one quoted row per event', () => {
    const csv = renderTimeline(data, 'csv').split('\r\n');
    expect(csv[0]).toBe(
      'seq,time,type,actor_id,actor_name,channel,command,target,job_id,step,args,detail,hash',
    );
    expect(csv[1]).toBe(
      `1,2025-11-21T16:00:00.000Z,requested,UALICE,alice,#ops,restore-table,billing,${job.jobId},,"{""password"":""[REDACTED]"",""table"":""invoices""}",,${all[0]!.hash}`,
    );
    expect(csv).toHaveLength(all.length + 2);
  });

  it('neutralizes spreadsheet formulas and quotes separators', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField(null)).toBe('');
    expect(csvField('plain')).toBe('plain');
  });

  it('writes JSON with jobs, other events and every event parsed', () => {
    const json = JSON.parse(renderTimeline(data, 'json')) as Record<string, unknown[]> & {
      range: unknown;
    };
    expect(json.range).toEqual({
      since: '2025-11-21T16:00:00.000Z',
      until: '2025-11-21T17:00:00.000Z',
      actor: 'alice',
    });
    expect(json.jobs).toHaveLength(1);
    expect(json.other).toHaveLength(1);
    expect(json.events![0]).toMatchObject({
      type: 'requested',
      args: { table: 'invoices' },
      time: '2025-11-21T16:00:00.000Z',
    });
  });
});

describe('jobTimelineMrkdwn', () => {
  it('tells one job in Slack with date tokens', () => {
    const text = jobTimelineMrkdwn(data.jobs[0]!).text;
    expect(text).toContain('*restore-table* on `billing`: *failed* · `restore-table-0123456789`');
    expect(text).toContain(
      '• requested by <@UALICE> <!date^1763740800^{date_short_pretty} {time_secs}|2025-11-21T16:00:00Z>',
    );
    expect(text).toContain('• approved by <@UBOB> <!date^1763740860^');
    expect(text).toContain(':white_check_mark: restore-instance <!date^1763740862^');
    expect(text).toContain('(10m 0s)');
    expect(text).toContain(':x: copy-table');
    expect(text).toContain(
      ':memo: restore-instance: instance name <!date^1763741462^{date_short_pretty} {time_secs}|2025-11-21T16:11:02Z> `{"name":"billing-1-restore-0123456789"}`',
    );
  });
});

it('formats durations', () => {
  expect([
    duration(850),
    duration(4000),
    duration(720_000),
    duration(3 * 3600_000 + 125_000),
  ]).toEqual(['850ms', '4s', '12m 0s', '3h 2m 5s']);
});
