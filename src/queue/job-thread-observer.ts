import type { KnownBlock } from '@slack/web-api';
import type { JobMeta } from '../runbook/job-envelope';
import type { Outcome } from '../runbook/checkpoint';
import { formatProgress } from '../runbook/progress-meter';
import type { RunbookEvent, RunbookObserver } from '../runbook/runbook-events';
import { formatSlackDate } from '../slack/slack-date';
import type { MessageSink } from '../notify/message-sink';
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
    const when = formatSlackDate(at, '{time_secs}');
    switch (event.type) {
      case 'started':
        if (event.resumed) {
          await this.reply(
            key,
            `${when} :arrows_counterclockwise: resumed after an interruption (run ${event.run})`,
          );
        } else {
          const text = rootText(meta, ':hourglass_flowing_sand: running', at);
          await this.sink.enqueue(key, {
            kind: 'root',
            channel: this.channel,
            text,
            blocks: rootBlocks(meta, text, true),
          });
        }
        return;
      case 'step-started': {
        const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
        return this.reply(
          key,
          `${when} :arrow_forward: step ${event.index + 1}/${event.count} *${event.step}* started${attempt}`,
        );
      }
      case 'step-finished':
        return this.reply(
          key,
          `${when} :heavy_check_mark: *${event.step}* done in ${formatDuration(event.durationMs)}`,
        );
      case 'step-retry':
        return this.reply(
          key,
          `${when} :warning: *${event.step}* failed (${event.error}); retrying in ${formatDuration(event.delayMs)}`,
        );
      case 'step-failed':
        return this.reply(
          key,
          `${when} :x: *${event.step}* failed after ${formatDuration(event.durationMs)}: ${event.error}`,
        );
      case 'progress':
        return this.reply(key, `${when} :bar_chart: *${event.step}* ${formatProgress(event.line)}`);
      case 'say':
        return this.reply(key, `${when} ${event.text}`);
      case 'cleanup':
        return this.reply(
          key,
          event.ok
            ? `${when} :broom: cleanup *${event.name}* done`
            : `${when} :rotating_light: cleanup *${event.name}* FAILED: ${event.error} — this needs a human`,
        );
      case 'finished': {
        const status = `${OUTCOME_EMOJI[event.outcome]} ${event.outcome} in ${formatDuration(event.durationMs)}`;
        const text =
          rootText(meta, status, at - event.durationMs) + (event.error ? `\n> ${event.error}` : '');
        await this.reply(key, `${when} ${status}${event.error ? `: ${event.error}` : ''}`);
        await this.sink.enqueue(key, {
          kind: 'update-root',
          text,
          blocks: rootBlocks(meta, text, false),
        });
        return;
      }
    }
  }

  private reply(key: string, text: string): Promise<void> {
    return this.sink.enqueue(key, { kind: 'reply', text });
  }
}

function rootText(meta: JobMeta, status: string, startedAt: number): string {
  return [
    `${status} — \`${meta.command}\``,
    `${meta.summary}`,
    `requested by <@${meta.actor.id}> (${meta.actor.name})${meta.approvedBy ? ` · approved by <@${meta.approvedBy.id}> (${meta.approvedBy.name})` : ''} · started ${formatSlackDate(startedAt)} · job \`${meta.jobId}\``,
  ].join('\n');
}

function rootBlocks(meta: JobMeta, text: string, cancellable: boolean): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (cancellable) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: CANCEL_ACTION_ID,
          value: meta.jobId,
          style: 'danger',
          text: { type: 'plain_text', text: 'Cancel' },
          confirm: {
            title: { type: 'plain_text', text: 'Cancel this job?' },
            text: {
              type: 'mrkdwn',
              text: `The running step of \`${meta.jobId}\` is stopped and its cleanups run.`,
            },
            confirm: { type: 'plain_text', text: 'Cancel job' },
            deny: { type: 'plain_text', text: 'Keep running' },
          },
        },
      ],
    });
  }
  return blocks;
}
