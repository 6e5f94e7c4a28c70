import type { MessageSink } from '../notify/message-sink';
import type { JobMeta } from '../runbook/job-envelope';
import type { Outcome } from '../runbook/checkpoint';
import { formatProgress } from '../runbook/progress-meter';
import type { RunbookEvent, RunbookObserver } from '../runbook/runbook-events';
import type { Button } from '@slack/types';
import { actions, button, section, type Block } from '../slack/blocks';
import { code, date, md, mention, storedMrkdwn, type Mrkdwn } from '../slack/mrkdwn';
import { formatDuration } from '../util/duration';

export const CANCEL_ACTION_ID = 'job.cancel';

const OUTCOME_EMOJI: Record<Outcome, string> = {
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/**
 * Turns runbook events into the job's Slack thread: one root message (command, requester,
 * status, start time, a Cancel button) edited when the job ends, and a timestamped reply per
 * step start/finish, progress line, retry and cleanup.
 */
export class JobThreadObserver implements RunbookObserver {
  constructor(
    private readonly sink: MessageSink,
    private readonly channel: string,
  ) {}

  async onEvent(meta: JobMeta, event: RunbookEvent, at: number): Promise<void> {
    const key = meta.jobId;
    const when = date(at, '{time_secs}');
    switch (event.type) {
      case 'started':
        if (event.resumed) {
          await this.reply(
            key,
            md`${when} :arrows_counterclockwise: resumed after an interruption (run ${event.run})`,
          );
        } else {
          const text = rootText(meta, md`:hourglass_flowing_sand: running`, at);
          await this.sink.enqueue(key, {
            kind: 'root',
            channel: this.channel,
            text,
            blocks: rootBlocks(meta, text, true),
          });
        }
        return;
      case 'step-started': {
        const attempt = event.attempt > 1 ? md` (attempt ${event.attempt})` : md``;
        return this.reply(
          key,
          md`${when} :arrow_forward: step ${event.index + 1}/${event.count} *${event.step}* started${attempt}`,
        );
      }
      case 'step-finished':
        return this.reply(
          key,
          md`${when} :heavy_check_mark: *${event.step}* done in ${formatDuration(event.durationMs)}`,
        );
      case 'step-retry':
        return this.reply(
          key,
          md`${when} :warning: *${event.step}* failed (${event.error}); retrying in ${formatDuration(event.delayMs)}`,
        );
      case 'step-failed':
        return this.reply(
          key,
          md`${when} :x: *${event.step}* failed after ${formatDuration(event.durationMs)}: ${event.error}`,
        );
      case 'progress':
        return this.reply(
          key,
          md`${when} :bar_chart: *${event.step}* ${formatProgress(event.line)}`,
        );
      case 'say':
        return this.reply(key, md`${when} ${event.text}`);
      case 'cleanup':
        return this.reply(
          key,
          event.ok
            ? md`${when} :broom: cleanup *${event.name}* done`
            : md`${when} :rotating_light: cleanup *${event.name}* FAILED: ${event.error ?? ''} — this needs a human`,
        );
      case 'finished': {
        const duration = formatDuration(event.durationMs);
        const status = md`${OUTCOME_EMOJI[event.outcome]} ${event.outcome} in ${duration}`;
        const error = event.error;
        const text = error
          ? md`${rootText(meta, status, at - event.durationMs)}\n> ${error}`
          : rootText(meta, status, at - event.durationMs);
        await this.reply(key, error ? md`${when} ${status}: ${error}` : md`${when} ${status}`);
        await this.sink.enqueue(key, {
          kind: 'update-root',
          text,
          blocks: rootBlocks(meta, text, false),
        });
        return;
      }
    }
  }

  private reply(key: string, text: Mrkdwn): Promise<void> {
    return this.sink.enqueue(key, { kind: 'reply', text });
  }
}

/** The root: what was typed, the plan's summary (rendered by the planner), who and since when. */
export function rootText(meta: JobMeta, status: Mrkdwn, startedAt: number): Mrkdwn {
  const approved = meta.approvedBy
    ? md` · approved by ${mention(meta.approvedBy.id)} (${meta.approvedBy.name})`
    : md``;
  return md`${status} — ${code(meta.command)}
${storedMrkdwn(meta.summary)}
requested by ${mention(meta.actor.id)} (${meta.actor.name})${approved} · started ${date(startedAt)} · job ${code(meta.jobId)}`;
}

export function rootBlocks(meta: JobMeta, text: Mrkdwn, cancellable: boolean): Block[] {
  const blocks = [section(text)];
  if (cancellable) blocks.push(actions([cancelButton(meta.jobId)]));
  return blocks;
}

/** The Cancel button of a job (its root message, the Home tab): `/ops cancel <job>` by the clicker. */
export function cancelButton(jobId: string): Button {
  return button({
    actionId: CANCEL_ACTION_ID,
    value: jobId,
    style: 'danger',
    label: 'Cancel',
    confirm: {
      title: 'Cancel this job?',
      text: md`The running step of ${code(jobId)} is stopped and its cleanups run.`,
      confirm: 'Cancel job',
      deny: 'Keep running',
    },
  });
}
