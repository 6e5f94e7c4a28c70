import type { JobMeta } from '../runbook/job-envelope';
import type { RunbookEvent, RunbookObserver } from '../runbook/runbook-events';
import { stepDuration } from '../metrics/metrics';

/** Records step durations by runbook, step and outcome. */
export const metricsObserver: RunbookObserver = {
  onEvent(meta: JobMeta, event: RunbookEvent) {
    if (event.type === 'step-finished' || event.type === 'step-failed') {
      stepDuration.observe(
        {
          runbook: meta.runbook,
          step: event.step,
          outcome: event.type === 'step-finished' ? 'ok' : 'failed',
        },
        event.durationMs / 1000,
      );
    }
  },
};
