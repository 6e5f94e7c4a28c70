import type { JobMeta, Person } from '../runbook/job-envelope';
import type { RunbookEvent, RunbookObserver } from '../runbook/runbook-events';
import type { AuditEventInput } from '../audit/audit-event';
import type { AuditWriter } from '../audit/audit-writer';

/**
 * A job's runbook events in the audit trail: started, every step start/finish/failure, each
 * cleanup, the facts steps record, and how it ended. Written through the writer's spool, so an audit outage delays
 * the rows but never loses them, and they keep their order and their original times. Retries,
 * progress and thread lines are Slack's business, not the trail's.
 */
export class AuditObserver implements RunbookObserver {
  constructor(
    private readonly writer: Pick<AuditWriter, 'recordJobEvent'>,
    /** Who asked to cancel the job, for the `cancelled` row's actor. */
    private readonly cancelledBy: (jobId: string) => Promise<Person | null>,
  ) {}

  async onEvent(meta: JobMeta, event: RunbookEvent, at: number): Promise<void> {
    const row = await this.row(meta, event);
    if (!row) return;
    const { actor = meta.actor, ...rest } = row;
    await this.writer.recordJobEvent({
      at,
      ...(actor && { actor }),
      channel: meta.channel,
      command: meta.commandName ?? meta.runbook,
      jobId: meta.jobId,
      ...(meta.target !== undefined && { target: meta.target }),
      ...rest,
    });
  }

  private async row(
    meta: JobMeta,
    event: RunbookEvent,
  ): Promise<
    (Pick<AuditEventInput, 'type' | 'step' | 'detail'> & { actor?: Person | null }) | null
  > {
    switch (event.type) {
      case 'started':
        return {
          type: 'started',
          detail: {
            runbook: meta.runbook,
            resumed: event.resumed,
            run: event.run,
            ...(meta.approvedBy && { approvedBy: meta.approvedBy }),
          },
        };
      case 'step-started':
        return {
          type: 'step-started',
          step: event.step,
          detail: { index: event.index, count: event.count, attempt: event.attempt },
        };
      case 'step-finished':
        return {
          type: 'step-finished',
          step: event.step,
          detail: { durationMs: event.durationMs },
        };
      case 'step-failed':
        return {
          type: 'step-failed',
          step: event.step,
          detail: {
            durationMs: event.durationMs,
            error: event.error,
            ...(event.code && { code: event.code }),
          },
        };
      case 'record':
        return {
          type: 'step-recorded',
          step: event.step,
          detail: { what: event.what, ...event.detail },
        };
      case 'cleanup':
        return {
          type: 'cleanup',
          step: event.name,
          detail: { step: event.step, ok: event.ok, ...(event.error && { error: event.error }) },
        };
      case 'finished': {
        const detail = {
          durationMs: event.durationMs,
          ...(event.error && { error: event.error }),
        };
        if (event.outcome !== 'cancelled') return { type: event.outcome, detail };
        // The one who cancelled is the actor; nobody (not the requester) when it is unknown.
        return { type: 'cancelled', detail, actor: await this.cancelledBy(meta.jobId) };
      }
      case 'step-retry':
      case 'progress':
      case 'say':
        return null;
    }
  }
}
