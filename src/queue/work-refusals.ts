import type { AuditWriter } from '../audit/audit-writer';
import type { Logger } from '../log/logger';
import { workRefused } from '../metrics/metrics';
import type { MessageSink } from '../notify/message-sink';
import type { JobMeta } from '../runbook/job-envelope';
import { code, md } from '../slack/mrkdwn';
import { rootBlocks, rootText } from './job-thread-observer';
import type { WorkRefusal } from './signed-job';

/** A job the worker refused before anything of it ran. */
export interface RefusedJob {
  jobId: string;
  refusal: WorkRefusal;
  /** The envelope, when its MAC checked (only the checkpoint or the age did not). */
  meta?: JobMeta;
  /** What an unauthenticated job claims to be (shown as a claim, never trusted). */
  claimed?: { runbook: string; command?: unknown; actor?: unknown };
}

/**
 * Reports a refused job where people look: a `refused` row in the audit trail (the claims of an
 * unauthenticated job in its detail, never as its actor), a root message in the alert channel,
 * and for a job whose envelope checked, its own thread's root edited to say it was refused.
 * Counted in `opsdeck_work_refused_total`.
 */
export class WorkRefusals {
  constructor(
    private readonly audit: Pick<AuditWriter, 'recordJobEvent'>,
    private readonly sink: MessageSink,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  async reportJob(refused: RefusedJob, at = Date.now()): Promise<void> {
    const { jobId, refusal, meta, claimed } = refused;
    workRefused.inc({ kind: refusal.kind });
    this.logger.error({ jobId, kind: refusal.kind, reason: refusal.reason }, 'job refused');
    await this.audit.recordJobEvent({
      type: 'refused',
      at,
      jobId,
      ...(meta && {
        actor: meta.actor,
        channel: meta.channel,
        command: meta.commandName ?? meta.runbook,
        ...(meta.target !== undefined && { target: meta.target }),
      }),
      detail: { kind: refusal.kind, reason: refusal.reason, ...(claimed && { claimed }) },
    });
    const claim = claimed
      ? md` It claims to be ${code(String(claimed.command ?? claimed.runbook))} (runbook ${code(claimed.runbook)}); no access rule, approval or audit event of opsdeck saw it.`
      : md``;
    const aftermath =
      refusal.kind === 'checkpoint'
        ? md` Its cleanups did not run either (its recorded state cannot be trusted): check what it created by hand; the leftover sweep reports resources tagged with its id.`
        : md``;
    await this.sink.enqueue(`refused:${jobId}`, {
      kind: 'root',
      channel: this.channel,
      text: md`:rotating_light: Refused job ${code(jobId)}: ${refusal.reason}. Nothing of it ran.${claim}${aftermath}`,
    });
    if (meta && refusal.kind === 'checkpoint') {
      const text = md`${rootText(meta, md`:rotating_light: refused`, at)}\n> ${refusal.reason}`;
      await this.sink.enqueue(jobId, {
        kind: 'update-root',
        text,
        blocks: rootBlocks(meta, text, false),
      });
    }
  }

  /**
   * A cancel request without a valid MAC, published to the workers: ignored (the job goes on),
   * counted, logged and audited once per publication.
   */
  async reportCancel(jobId: string, reason: string, at = Date.now()): Promise<void> {
    workRefused.inc({ kind: 'cancel' });
    this.logger.error({ jobId, reason }, 'cancel request refused');
    await this.audit.recordJobEvent({
      type: 'refused',
      at,
      // In the detail, not the job column: the job's own story goes on as if nothing was asked.
      detail: { kind: 'cancel', jobId, reason: `a cancel request was ignored: ${reason}` },
    });
  }
}
