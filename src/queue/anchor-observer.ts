import type { RunbookEvent, RunbookObserver } from '../runbook/runbook-events';
import type { AnchorScheduler } from '../audit/anchor/anchor-scheduler';

/**
 * Asks for a digest when a job ends, however it ends. Placed after the audit observer, whose
 * spooled rows the digest writer flushes first; it returns at once, so no job waits for a digest.
 */
export class AnchorObserver implements RunbookObserver {
  constructor(private readonly scheduler: Pick<AnchorScheduler, 'request'>) {}

  onEvent(_meta: unknown, event: RunbookEvent): void {
    if (event.type === 'finished') this.scheduler.request('job-end');
  }
}
