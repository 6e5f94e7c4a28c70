import { formatSlackDate } from '../../slack/slack-date';
import type { AnchorHealthReport } from './anchor-scheduler';
import type { SignedDigest } from './digest';

/**
 * The Slack messages of audit anchoring: each new head hash (a copy of it outside the database
 * and the sink, with Slack's own timestamp), and the digest writer's failures and recovery.
 * Everything not made by the bot here (the sink's name from config, error texts) is escaped.
 */

export function anchoredText(digest: SignedDigest, name: string, sink: string): string {
  return [
    `:lock: Audit trail anchored at row ${digest.seq}, ${formatSlackDate(Date.parse(digest.at))}`,
    `head hash \`${digest.hash}\``,
    `digest \`${escape(name)}\` in ${escape(sink)}, signed by key \`${digest.keyId}\``,
  ].join('\n');
}

export function healthText(report: AnchorHealthReport, sink: string): string {
  if (!report.failing) {
    return `:white_check_mark: Audit digests are written again (${escape(sink)}${report.name ? `, \`${escape(report.name)}\`` : ''}).`;
  }
  const error = escape(cut(report.error ?? 'unknown error', 600));
  if (report.tampered) {
    return [
      `:rotating_light: *The audit trail no longer extends its last signed digest*: ${error}`,
      'No digest is signed until this is resolved. Run `opsdeck audit verify` to see the first problem.',
    ].join('\n');
  }
  return `:warning: Audit digests cannot be written to ${escape(sink)}: ${error}. Retrying; jobs are not affected, and the next digest covers the rows written meanwhile.`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
