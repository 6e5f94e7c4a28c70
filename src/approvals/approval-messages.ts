import type { Button } from '@slack/types';
import type { ApprovalPlan } from '../runbook/approval-gate';
import { planLines, type PlanStep } from '../runbook/plan-of';
import { actions, button, context, header, section, type Block } from '../slack/blocks';
import { code, date, join, md, mention, storedMrkdwn, type Mrkdwn } from '../slack/mrkdwn';
import type { ApprovalRecord } from './approval-store';

/**
 * The approval message posted to the alert channel: what will happen, to what, who asked, who
 * may approve and until when, with irreversible steps marked; Approve (behind a confirm dialog)
 * and Reject buttons whose value is the approval id. Once decided or expired, the same message
 * is edited into its final state with the buttons gone.
 */

export const APPROVE_ACTION_ID = 'approval.approve';
export const REJECT_ACTION_ID = 'approval.reject';

/** A plan as an approval record keeps it (JSON in Redis): its texts as the planner rendered them. */
export interface StoredPlan {
  summary: string;
  steps: { text: string; irreversible?: boolean }[];
  findings?: string[];
}

/** The plan to store with an approval: rendered texts. */
export function storePlan(plan: ApprovalPlan): StoredPlan {
  return {
    summary: plan.summary.text,
    steps: plan.steps.map((step) => ({
      text: step.text.text,
      ...(step.irreversible && { irreversible: true }),
    })),
    ...(plan.findings && { findings: plan.findings.map((finding) => finding.text) }),
  };
}

/** The plan of a stored approval, as the rendering layer built it before it was stored. */
function storedPlan(plan: StoredPlan): ApprovalPlan {
  return {
    summary: storedMrkdwn(plan.summary),
    steps: plan.steps.map((step): PlanStep => ({
      text: storedMrkdwn(step.text),
      ...(step.irreversible && { irreversible: true }),
    })),
    ...(plan.findings && { findings: plan.findings.map(storedMrkdwn) }),
  };
}

export interface SlackMessage {
  /** Notification and fallback text. */
  text: Mrkdwn;
  blocks: Block[];
}

export function approvalRequestMessage(record: ApprovalRecord<StoredPlan>): SlackMessage {
  const plan = storedPlan(record.plan);
  const who = record.requirement.distinct
    ? md`someone other than the requester in *${record.requirement.group}*`
    : md`a member of *${record.requirement.group}*`;
  return {
    text: md`Approval needed: ${record.request.command}${onTarget(record)} requested by ${requesterName(record)}`,
    blocks: [
      ...describe(record, plan),
      context(
        md`Needs approval by ${who} · expires ${date(record.expiresAt)} · ${code(record.id)}`,
      ),
      actions(approvalButtons(record), `approval:${record.id}`),
    ],
  };
}

/**
 * Approve (behind a confirm dialog that names the irreversible steps) and Reject, valued with the
 * approval id: in the approval message and in the approver's Home tab.
 */
export function approvalButtons(record: ApprovalRecord<StoredPlan>): Button[] {
  const plan = storedPlan(record.plan);
  const irreversible = plan.steps.filter((step) => step.irreversible);
  const approve = button({
    actionId: APPROVE_ACTION_ID,
    label: 'Approve',
    style: 'primary',
    value: record.id,
    confirm: {
      title: `Approve ${record.request.command}?`,
      text:
        irreversible.length > 0
          ? md`This cannot be undone: ${join(
              irreversible.map((step) => step.text),
              '; ',
            )}`
          : md`This runs ${record.request.command}${onTarget(record)} for ${requesterName(record)}.`,
      confirm: 'Approve and run',
      deny: 'Back',
      style: irreversible.length > 0 ? 'danger' : 'primary',
    },
  });
  const reject = button({ actionId: REJECT_ACTION_ID, label: 'Reject', value: record.id });
  return [approve, reject];
}

/** The final state of the message: who approved or rejected it and when, or that it expired. */
export function approvalDecidedMessage(record: ApprovalRecord<StoredPlan>): SlackMessage {
  const when = date(record.decidedAt ?? record.expiresAt);
  const by = record.decidedBy === undefined ? md`nobody` : mention(record.decidedBy);
  const line =
    record.status === 'approved'
      ? md`:white_check_mark: Approved by ${by} at ${when}`
      : record.status === 'rejected'
        ? md`:x: Rejected by ${by} at ${when}`
        : record.status === 'expired'
          ? md`:hourglass: Expired at ${date(record.expiresAt)} without a decision`
          : record.status === 'withdrawn'
            ? md`:no_entry_sign: Withdrawn at ${when}: ${by} cancelled the job before a decision`
            : md`:hourglass_flowing_sand: Pending until ${date(record.expiresAt)}`;
  return {
    text: md`${record.request.command}${onTarget(record)}: ${record.status}`,
    blocks: [
      ...describe(record, storedPlan(record.plan)),
      context(md`${line} · ${code(record.id)}`),
    ],
  };
}

function describe(record: ApprovalRecord<StoredPlan>, plan: ApprovalPlan): Block[] {
  const steps = planLines(plan.steps);
  const job = record.jobId === undefined ? md`` : md` (job ${code(record.jobId)})`;
  const target =
    record.request.target === undefined ? md`` : md` on ${code(record.request.target)}`;
  return [
    header(`Approval: ${record.request.command}`),
    section(
      md`${mention(record.request.userId)} asks to run ${code(record.request.command)}${target}${job}\n>${plan.summary}`,
    ),
    ...(plan.findings?.length
      ? [
          section(
            md`*Preflight*\n${join(
              plan.findings.map((line) => md`• ${line}`),
              '\n',
            )}`,
          ),
        ]
      : []),
    section(md`*Plan*\n${steps.length > 0 ? join(steps, '\n') : md`(no steps)`}`),
  ];
}

function requesterName(record: ApprovalRecord<StoredPlan>): string {
  return record.requesterName ?? record.request.userId;
}

function onTarget(record: ApprovalRecord<StoredPlan>): Mrkdwn {
  const { target } = record.request;
  return target === undefined ? md`` : md` on ${target}`;
}
