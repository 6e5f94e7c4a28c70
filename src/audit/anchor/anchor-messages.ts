import { code, date, md, type Mrkdwn } from '../../slack/mrkdwn';
import type { AnchorHealthReport } from './anchor-scheduler';
import type { SignedDigest } from './digest';

/**
 * The Slack messages of audit anchoring: each new head hash (a copy of it outside the database
 * and the sink, with Slack's own timestamp), and the digest writer's failures and recovery.
 * Everything not made by the bot here (the sink's name from config, error texts) is text.
 */

export function anchoredText(digest: SignedDigest, name: string, sink: string): Mrkdwn {
  return md`:lock: Audit trail anchored at row ${digest.seq}, ${date(Date.parse(digest.at))}
head hash ${code(digest.hash)}
digest ${code(name)} in ${sink}, signed by key ${code(digest.keyId)}`;
}

export function healthText(report: AnchorHealthReport, sink: string): Mrkdwn {
  if (!report.failing) {
    const name = report.name ? md`, ${code(report.name)}` : md``;
    return md`:white_check_mark: Audit digests are written again (${sink}${name}).`;
  }
  const error = cut(report.error ?? 'unknown error', 600);
  if (report.tampered) {
    return md`:rotating_light: *The audit trail no longer extends its last signed digest*: ${error}
No digest is signed until this is resolved. Run \`opsdeck audit verify\` to see the first problem.`;
  }
  return md`:warning: Audit digests cannot be written to ${sink}: ${error}. Retrying; jobs are not affected, and the next digest covers the rows written meanwhile.`;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
