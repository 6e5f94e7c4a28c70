import type { Button, KnownBlock } from '@slack/types';
import { formatSlackDate } from '../slack/slack-date';
import type { ApprovalPlan } from '../runbook/approval-gate';
import type { ApprovalRecord } from './approval-store';

/**
 * The approval message posted to the alert channel: what will happen, to what, who asked, who
 * may approve and until when, with irreversible steps marked; Approve (behind a confirm dialog)
 * and Reject buttons whose value is the approval id. Once decided or expired, the same message
 * is edited into its final state with the buttons gone.
 */

export const APPROVE_ACTION_ID = 'approval.approve';
export const REJECT_ACTION_ID = 'approval.reject';

export interface SlackMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: KnownBlock[];
}

export function approvalRequestMessage(record: ApprovalRecord<ApprovalPlan>): SlackMessage {
  const irreversible = record.plan.steps.filter((step) => step.irreversible);
  const approve: Button = {
    type: 'button',
    action_id: APPROVE_ACTION_ID,
    text: { type: 'plain_text', text: 'Approve' },
    style: 'primary',
    value: record.id,
    confirm: {
      title: { type: 'plain_text', text: truncate(`Approve ${record.request.command}?`, 100) },
      text: {
        type: 'plain_text',
        text: truncate(
          irreversible.length > 0
            ? `This cannot be undone: ${irreversible.map((step) => step.text).join('; ')}`
            : `This runs ${record.request.command}${onTarget(record)} for ${requester(record, false)}.`,
          300,
        ),
      },
      confirm: { type: 'plain_text', text: 'Approve and run' },
      deny: { type: 'plain_text', text: 'Back' },
      style: irreversible.length > 0 ? 'danger' : 'primary',
    },
  };
  const reject: Button = {
    type: 'button',
    action_id: REJECT_ACTION_ID,
    text: { type: 'plain_text', text: 'Reject' },
    value: record.id,
  };
  const who = `${record.requirement.distinct ? 'someone other than the requester in' : 'a member of'} *${escapeMrkdwn(record.requirement.group)}*`;
  return {
    text: `Approval needed: ${record.request.command}${onTarget(record)} requested by ${requester(record, false)}`,
    blocks: [
      ...describe(record),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Needs approval by ${who} · expires ${formatSlackDate(record.expiresAt)} · \`${record.id}\``,
          },
        ],
      },
      { type: 'actions', block_id: `approval:${record.id}`, elements: [approve, reject] },
    ],
  };
}

/** The final state of the message: who approved or rejected it and when, or that it expired. */
export function approvalDecidedMessage(record: ApprovalRecord<ApprovalPlan>): SlackMessage {
  const when = formatSlackDate(record.decidedAt ?? record.expiresAt);
  const by = record.decidedBy === undefined ? 'nobody' : `<@${record.decidedBy}>`;
  const line =
    record.status === 'approved'
      ? `:white_check_mark: Approved by ${by} at ${when}`
      : record.status === 'rejected'
        ? `:x: Rejected by ${by} at ${when}`
        : record.status === 'expired'
          ? `:hourglass: Expired at ${formatSlackDate(record.expiresAt)} without a decision`
          : record.status === 'withdrawn'
            ? `:no_entry_sign: Withdrawn at ${when}: ${by} cancelled the job before a decision`
            : `:hourglass_flowing_sand: Pending until ${formatSlackDate(record.expiresAt)}`;
  return {
    text: `${record.request.command}${onTarget(record)}: ${record.status}`,
    blocks: [
      ...describe(record),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${line} · \`${record.id}\`` }] },
    ],
  };
}

function describe(record: ApprovalRecord<ApprovalPlan>): KnownBlock[] {
  const steps = record.plan.steps.map(
    (step, i) =>
      `${i + 1}. ${step.irreversible ? ':warning: *irreversible:* ' : ''}${escapeMrkdwn(step.text)}`,
  );
  return [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`Approval: ${record.request.command}`, 150) },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `${requester(record, true)} asks to run \`${escapeMrkdwn(record.request.command)}\`${onTarget(record, true)}${record.jobId === undefined ? '' : ` (job \`${escapeMrkdwn(record.jobId)}\`)`}\n>${escapeMrkdwn(record.plan.summary)}`,
          3000,
        ),
      },
    },
    ...(record.plan.findings?.length
      ? [
          {
            type: 'section' as const,
            text: {
              type: 'mrkdwn' as const,
              text: truncate(
                `*Preflight*\n${record.plan.findings.map((line) => `• ${escapeMrkdwn(line)}`).join('\n')}`,
                3000,
              ),
            },
          },
        ]
      : []),
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`*Plan*\n${steps.join('\n') || '(no steps)'}`, 3000) },
    },
  ];
}

function requester(record: ApprovalRecord<ApprovalPlan>, mention: boolean): string {
  if (mention) return `<@${record.request.userId}>`;
  return record.requesterName ?? record.request.userId;
}

function onTarget(record: ApprovalRecord<ApprovalPlan>, mrkdwn = false): string {
  const { target } = record.request;
  if (target === undefined) return '';
  return mrkdwn ? ` on \`${escapeMrkdwn(target)}\`` : ` on ${target}`;
}

/** Slack mrkdwn control characters, so user text cannot ping channels or forge links. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
