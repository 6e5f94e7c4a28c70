import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import {
  approvalDecidedMessage,
  approvalRequestMessage,
  storePlan,
  type StoredPlan,
} from '../../../src/approvals/approval-messages';
import type { ApprovalRecord } from '../../../src/approvals/approval-store';
import { type ApprovalPlan } from '../../../src/runbook/approval-gate';
import { md } from '../../../src/slack/mrkdwn';

const T0 = Date.parse('2025-11-21T16:00:00Z');

function record(
  overrides: Partial<Omit<ApprovalRecord<StoredPlan>, 'plan'>> & { plan?: ApprovalPlan } = {},
): ApprovalRecord<StoredPlan> {
  const { plan, ...rest } = overrides;
  return {
    id: 'apv_0123456789abcdef01234567',
    status: 'pending',
    request: { command: 'restore-table', target: 'billing', userId: 'UREQ', channelId: 'C1' },
    requesterName: 'alice',
    requirement: { group: 'platform', distinct: true },
    plan: storePlan(
      plan ?? {
        // The planner renders what the user typed as text.
        summary: md`Restore billing.invoices as of 15:00 ${'<!channel>'}`,
        steps: [
          {
            text: md`restore a copy of the instance`,
          },
          {
            text: md`swap invoices with the restored table`,
            irreversible: true,
          },
        ],
      },
    ),
    createdAt: T0,
    expiresAt: T0 + 15 * 60_000,
    ...rest,
  };
}

const allText = (blocks: readonly object[]) => JSON.stringify(blocks);
const actions = (blocks: readonly object[]) =>
  (blocks as KnownBlock[]).find((b): b is ActionsBlock => b.type === 'actions');
const sectionsOf = (blocks: readonly object[]) =>
  (blocks as KnownBlock[]).filter((b): b is SectionBlock => b.type === 'section');

describe('approvalRequestMessage', () => {
  const message = approvalRequestMessage(record());

  it('has Approve (primary, confirmed) and Reject buttons carrying the approval id', () => {
    const [approve, reject] = actions(message.blocks)!.elements as Button[];
    expect(approve).toMatchObject({
      action_id: 'approval.approve',
      style: 'primary',
      value: 'apv_0123456789abcdef01234567',
      confirm: {
        title: { type: 'plain_text', text: 'Approve restore-table?' },
        text: {
          type: 'plain_text',
          text: 'This cannot be undone: swap invoices with the restored table',
        },
        confirm: { type: 'plain_text' },
        deny: { type: 'plain_text' },
        style: 'danger',
      },
    });
    expect(reject).toMatchObject({
      action_id: 'approval.reject',
      value: 'apv_0123456789abcdef01234567',
    });
    expect(reject).not.toHaveProperty('confirm');
  });

  it('shows the plan with irreversible steps marked, the target, requester and expiry', () => {
    const plan = sectionsOf(message.blocks);
    expect(plan[0]!.text!.text).toBe(
      '<@UREQ> asks to run `restore-table` on `billing`\n>Restore billing.invoices as of 15:00 &lt;!channel&gt;',
    );
    expect(plan[1]!.text!.text).toBe(
      '*Plan*\n1. restore a copy of the instance\n2. :warning: *irreversible:* swap invoices with the restored table',
    );
    expect(allText(message.blocks)).toContain(
      'Needs approval by someone other than the requester in *platform* · expires <!date^1763741700^{date_short_pretty} {time_secs}|2025-11-21T16:15:00Z>',
    );
    expect(message.text.text).toBe('Approval needed: restore-table on billing requested by alice');
  });

  it('shows what the planner found above the plan, escaped, when it found something', () => {
    const m = approvalRequestMessage(
      record({
        plan: {
          summary: md`seed onprem-db1 from billing`,
          steps: [
            {
              text: md`create a read replica`,
            },
          ],
          findings: [
            md`binlog retention NULL: raised to 168 h`,
            md`replica ${'<broken>'}: error 1236`,
          ],
        },
      }),
    );
    const sections = sectionsOf(m.blocks);
    expect(sections[1]!.text!.text).toBe(
      '*Preflight*\n• binlog retention NULL: raised to 168 h\n• replica &lt;broken&gt;: error 1236',
    );
    expect(sections[2]!.text!.text).toBe('*Plan*\n1. create a read replica');
    expect(allText(message.blocks)).not.toContain('Preflight');
  });

  it('uses a primary confirm when nothing is irreversible, and keeps Slack length limits', () => {
    const long = 'x'.repeat(5000);
    const m = approvalRequestMessage(
      record({
        plan: { summary: md`${long}`, steps: [{ text: md`${long}` }] },
        request: { command: long, userId: 'U', channelId: 'C' },
      }),
    );
    const [approve] = actions(m.blocks)!.elements as Button[];
    expect(approve!.confirm!.style).toBe('primary');
    expect(approve!.confirm!.title!.text.length).toBeLessThanOrEqual(100);
    expect(approve!.confirm!.text.text.length).toBeLessThanOrEqual(300);
    for (const block of m.blocks as KnownBlock[]) {
      if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3000);
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
    }
  });
});

describe('approvalDecidedMessage', () => {
  it('removes the buttons and says who approved when', () => {
    const m = approvalDecidedMessage(
      record({ status: 'approved', decidedBy: 'UAPP', decidedAt: T0 + 60_000 }),
    );
    expect(actions(m.blocks)).toBeUndefined();
    expect(allText(m.blocks)).toContain(
      ':white_check_mark: Approved by <@UAPP> at <!date^1763740860^{date_short_pretty} {time_secs}|2025-11-21T16:01:00Z>',
    );
    expect(m.text.text).toBe('restore-table on billing: approved');
  });

  it('says rejected, or expired without a decision', () => {
    expect(
      allText(
        approvalDecidedMessage(record({ status: 'rejected', decidedBy: 'UX', decidedAt: T0 }))
          .blocks,
      ),
    ).toContain(':x: Rejected by <@UX>');
    const expired = approvalDecidedMessage(
      record({ status: 'expired', decidedAt: T0 + 20 * 60_000 }),
    );
    expect(allText(expired.blocks)).toContain(':hourglass: Expired at <!date^1763741700^');
    expect(actions(expired.blocks)).toBeUndefined();
  });
});
