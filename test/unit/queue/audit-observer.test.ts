import type { AuditEventInput } from '../../../src/audit/audit-event';
import { AuditObserver } from '../../../src/queue/audit-observer';
import type { RunbookEvent } from '../../../src/runbook/runbook-events';
import { jobMeta } from '../../fixtures/job-meta';
import { md } from '../../../src/slack/mrkdwn';

const meta = jobMeta({
  jobId: 'restore-table-0123456789',
  command: '/restore-table billing.invoices',
  commandName: 'restore-table',
  runbook: 'restore-table',
  summary: 'restore billing.invoices',
  target: 'billing',
  approvedBy: { id: 'U0BOB', name: 'bob' },
  correlationId: 'c-1',
});

function observe(canceller: { id: string; name: string } | null = null) {
  const written: AuditEventInput[] = [];
  const observer = new AuditObserver(
    { recordJobEvent: (event) => Promise.resolve(void written.push(event)) },
    () => Promise.resolve(canceller),
  );
  return { written, send: (event: RunbookEvent, at = 1000) => observer.onEvent(meta, event, at) };
}

describe('AuditObserver', () => {
  it('maps each audited runbook event to its row, with the job, actor, channel, command and time', async () => {
    const { written, send } = observe();
    await send({ type: 'started', resumed: false, run: 1 }, 1);
    await send({ type: 'step-started', step: 'copy', index: 0, count: 2, attempt: 1 }, 2);
    await send({ type: 'step-retry', step: 'copy', attempt: 1, delayMs: 10, error: 'x' }, 3);
    await send(
      { type: 'progress', step: 'copy', line: { done: 1, total: 2, percent: 50 } } as RunbookEvent,
      4,
    );
    await send(
      {
        type: 'say',
        step: 'copy',
        text: md`hello`,
      },
      5,
    );
    await send({ type: 'step-finished', step: 'copy', durationMs: 9 }, 6);
    await send({ type: 'step-failed', step: 'swap', durationMs: 3, error: 'boom', code: 'E' }, 7);
    await send({ type: 'cleanup', step: 'copy', name: 'drop copy', ok: false, error: 'gone' }, 8);
    await send({ type: 'finished', outcome: 'failed', durationMs: 20, error: 'boom' }, 9);
    expect(written.map((e) => [e.type, e.step, e.at])).toEqual([
      ['started', undefined, 1],
      ['step-started', 'copy', 2],
      ['step-finished', 'copy', 6],
      ['step-failed', 'swap', 7],
      ['cleanup', 'drop copy', 8],
      ['failed', undefined, 9],
    ]);
    for (const event of written) {
      expect(event).toMatchObject({
        jobId: meta.jobId,
        command: 'restore-table',
        target: 'billing',
        actor: meta.actor,
        channel: meta.channel,
      });
    }
    expect(written[0]!.detail).toEqual({
      runbook: 'restore-table',
      resumed: false,
      run: 1,
      approvedBy: meta.approvedBy,
    });
    expect(written[3]!.detail).toEqual({ durationMs: 3, error: 'boom', code: 'E' });
    expect(written[4]!.detail).toEqual({ step: 'copy', ok: false, error: 'gone' });
  });

  it('writes a fact a step records as a step-recorded row, what and detail together', async () => {
    const { written, send } = observe();
    await send({
      type: 'record',
      step: 'read-coordinates',
      what: 'source coordinates',
      detail: { file: 'binlog.000042', pos: 1234 },
    });
    expect(written).toEqual([
      expect.objectContaining({
        type: 'step-recorded',
        step: 'read-coordinates',
        detail: { what: 'source coordinates', file: 'binlog.000042', pos: 1234 },
        jobId: meta.jobId,
        actor: meta.actor,
      }),
    ]);
  });

  it('names who cancelled as the actor of the cancelled row, nobody when unknown', async () => {
    const bob = { id: 'U0BOB', name: 'bob' };
    const known = observe(bob);
    await known.send({ type: 'finished', outcome: 'cancelled', durationMs: 5 });
    expect(known.written[0]).toMatchObject({ type: 'cancelled', actor: bob });
    const unknown = observe(null);
    await unknown.send({ type: 'finished', outcome: 'cancelled', durationMs: 5 });
    expect(unknown.written[0]!.actor).toBeUndefined();
  });
});
