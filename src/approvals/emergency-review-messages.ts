import type { AccessConfig } from '../config/access';
import { actions, button, section, type Block } from '../slack/blocks';
import {
  code,
  date,
  join,
  md,
  mention,
  mentionGroup,
  storedMrkdwn,
  type Mrkdwn,
} from '../slack/mrkdwn';
import { formatDuration } from '../util/duration';
import type { EmergencyReview } from './emergency-reviews';

/** The Reviewed button on an emergency's announcement; its value is the job id. */
export const REVIEWED_ACTION_ID = 'emergency.reviewed';

/** The outbox thread of an emergency's announcement (its root is edited once reviewed). */
export function announcementThread(jobId: string): string {
  return `emergency:${jobId}`;
}

/** The members of the reviewing group as mentions: users `<@U…>`, user groups `<!subteam^S…>`. */
export function reviewerMentions(policy: AccessConfig, group: string): Mrkdwn {
  const members = Object.hasOwn(policy.groups, group) ? policy.groups[group]! : undefined;
  const mentions = [
    ...(members?.users ?? []).map(mention),
    ...(members?.usergroups ?? []).map(mentionGroup),
  ];
  return mentions.length > 0 ? md`${join(mentions, ' ')} (${group})` : md`group ${group}`;
}

function body(review: EmergencyReview): Mrkdwn {
  const overrides = review.overrides.map(
    (text) => md`\n:warning: *overrode* ${storedMrkdwn(text)}`,
  );
  return md`${mention(review.actor.id)} (${review.actor.name}) ran ${code(review.command)} *without approval*, as group ${review.breakGlassGroup} may in an emergency${review.target === undefined ? '' : md` (on ${code(review.target)})`}.
*Reason*: ${review.reason}${join(overrides)}
${code(review.jobId)} · declared ${date(review.openedAt)}`;
}

/** The loud announcement in the alert channel: who, why, what it went past, who must review by when. */
export function announcementMessage(
  policy: AccessConfig,
  review: EmergencyReview,
): { text: Mrkdwn; blocks: Block[] } {
  const text = md`:rotating_light: *EMERGENCY* :rotating_light: ${body(review)}
${reviewerMentions(policy, review.reviewers)}: please review it by ${date(review.dueAt)} (within ${formatDuration(review.dueAt - review.openedAt)}) — press *Reviewed*.`;
  return {
    text,
    blocks: [
      section(text),
      actions([
        button({
          actionId: REVIEWED_ACTION_ID,
          value: review.jobId,
          style: 'primary',
          label: 'Reviewed',
        }),
      ]),
    ],
  };
}

/** The announcement once reviewed: the button gone, who reviewed it and when. */
export function reviewedMessage(
  review: EmergencyReview,
  by: { id: string; name: string },
  at: number,
): { text: Mrkdwn; blocks: Block[] } {
  const late =
    at > review.dueAt ? md` (${formatDuration(at - review.dueAt)} after its deadline)` : md``;
  const text = md`:white_check_mark: *Emergency reviewed* by ${mention(by.id)} (${by.name}) ${date(at)}${late}
${body(review)}`;
  return { text, blocks: [section(text)] };
}

/** One line per open review, for `/ops reviews` and the reminder: overdue ones say so. */
export function reviewLine(review: EmergencyReview, now: number): Mrkdwn {
  const due =
    review.dueAt < now
      ? md`:red_circle: *overdue* since ${date(review.dueAt)}`
      : md`due ${date(review.dueAt)}`;
  return md`• ${code(review.jobId)}${review.target === undefined ? '' : md` on ${code(review.target)}`} by ${review.actor.name}: ${review.reason} — ${due}; reviewers: ${review.reviewers}`;
}

/**
 * The daily reminder of open reviews, mentioning each review's approvers; `slotStart` is when its
 * interval began (one reminder per interval).
 */
export function reminderMessage(
  policy: AccessConfig,
  reviews: readonly EmergencyReview[],
  now: number,
  slotStart: number,
): Mrkdwn {
  const overdue = reviews.filter((review) => review.dueAt < now).length;
  const groups = [...new Set(reviews.map((review) => review.reviewers))];
  return md`:alarm_clock: ${reviews.length} emergenc${reviews.length === 1 ? 'y waits' : 'ies wait'} for review${overdue > 0 ? md`, ${overdue} *overdue*` : ''} (reminder of ${date(slotStart)}):
${join(
  reviews.map((review) => reviewLine(review, now)),
  '\n',
)}
${join(
  groups.map((group) => reviewerMentions(policy, group)),
  ', ',
)}: press *Reviewed* on each announcement.`;
}
