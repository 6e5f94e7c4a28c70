import type { AuditWriter } from '../audit/audit-writer';
import type { OpsdeckConfig } from '../config/schema';
import { describeError } from '../errors';
import type { MessageSink } from '../notify/message-sink';
import { code, md, type Mrkdwn } from '../slack/mrkdwn';
import {
  USER_GROUP_LOOKUP_MS,
  describeUnresolved,
  type UserGroupMembership,
} from '../slack/user-group-membership';
import { isMember, userGroupsNamed } from './access-policy';
import {
  announcementMessage,
  announcementThread,
  reminderMessage,
  reviewedMessage,
} from './emergency-review-messages';
import type { EmergencyReview, EmergencyReviews } from './emergency-reviews';

/**
 * An emergency's review, from its declaration to the Reviewed click: opened (and announced loudly
 * in the alert channel, mentioning the approvers) when the front door lets an emergency through
 * without its approval; closed by an approver of its rule, never by whoever declared it; reminded
 * once per `access.reviewReminderSeconds` while open.
 */
export interface ReviewDeps {
  config: OpsdeckConfig;
  reviews: EmergencyReviews;
  outbox: MessageSink;
  audit: Pick<AuditWriter, 'recordJobEvent' | 'ensureWritable'>;
  userGroups: Pick<UserGroupMembership, 'lookUp'>;
}

/** Opens the review and posts the announcement; a second call for the same job does nothing. */
export async function openReview(deps: ReviewDeps, review: EmergencyReview): Promise<void> {
  if (!(await deps.reviews.open(review))) return;
  await deps.outbox.enqueue(announcementThread(review.jobId), {
    kind: 'root',
    channel: deps.config.slack.alertChannel,
    ...announcementMessage(deps.config.access, review),
  });
}

export interface ReviewClick {
  jobId: string;
  user: { id: string; name: string };
  channel?: { id: string; name?: string };
}

/**
 * Reviewed, pressed: only a member of the reviewing group (the approvers of the rule), looked up
 * now, and not the one who declared the emergency. Audited (refusals too); the announcement is
 * edited. The answer goes to the clicker alone.
 */
export async function reviewEmergency(deps: ReviewDeps, click: ReviewClick): Promise<Mrkdwn> {
  const found = await deps.reviews.get(click.jobId);
  if (!found)
    return md`:warning: No emergency review for job ${code(click.jobId)} is known. Nothing happens.`;
  const { review } = found;
  if (found.state === 'reviewed')
    return md`:information_source: This emergency was already reviewed by ${found.reviewedBy.name}; nothing more happens.`;
  const audited = {
    actor: click.user,
    ...(click.channel && { channel: click.channel }),
    command: 'emergency review',
    ...(review.target !== undefined && { target: review.target }),
    jobId: review.jobId,
  };
  const refuse = async (why: string, extra = '') => {
    // Not on the job's own timeline (a refusal there would read as how the job ended).
    const { jobId: job, ...refusal } = audited;
    await deps.audit.recordJobEvent({
      ...refusal,
      type: 'denied',
      detail: { reason: 'not-reviewer', message: why, job },
    });
    return md`:no_entry: Refused: ${why}.${extra && ` ${extra}`}`;
  };
  if (click.user.id === review.actor.id)
    return refuse(
      `you declared this emergency; it must be reviewed by another member of ${review.reviewers}`,
    );
  const groups = await deps.userGroups.lookUp(
    click.user.id,
    userGroupsNamed(deps.config.access),
    USER_GROUP_LOOKUP_MS,
  );
  if (!isMember(deps.config.access, review.reviewers, click.user.id, groups.memberOf))
    return refuse(
      `only members of group ${review.reviewers} (the approvers of what it ran) may review this emergency`,
      describeUnresolved(groups),
    );
  // Fail closed: a review nobody can find in the trail did not happen.
  try {
    await deps.audit.ensureWritable();
  } catch (error) {
    return md`:lock: Not recorded as reviewed: ${describeError(error)}`;
  }
  const at = Date.now();
  if (!(await deps.reviews.close(review.jobId, click.user, at)))
    return md`:information_source: This emergency was reviewed meanwhile; nothing more happens.`;
  await deps.audit.recordJobEvent({
    ...audited,
    type: 'reviewed',
    at,
    detail: {
      reason: review.reason,
      declaredBy: review.actor,
      dueAt: review.dueAt,
      overdue: at > review.dueAt,
    },
  });
  await deps.outbox.enqueue(announcementThread(review.jobId), {
    kind: 'update-root',
    ...reviewedMessage(review, click.user, at),
  });
  return md`:white_check_mark: Reviewed: the emergency ${code(review.jobId)} is closed, and the announcement says so.`;
}

/**
 * The reminder of the interval `now` falls in: one message listing every open review (overdue
 * ones said so), posted by whichever worker claims the interval first. Returns whether it posted.
 */
export async function remindReviews(
  deps: Pick<ReviewDeps, 'config' | 'reviews' | 'outbox'>,
  now: number,
): Promise<boolean> {
  const open = await deps.reviews.listOpen();
  if (open.length === 0) return false;
  const everyMs = deps.config.access.reviewReminderSeconds * 1000;
  const slot = Math.floor(now / everyMs);
  if (!(await deps.reviews.claimReminder(slot))) return false;
  await deps.outbox.enqueue(`review-reminder:${slot}`, {
    kind: 'root',
    channel: deps.config.slack.alertChannel,
    text: reminderMessage(deps.config.access, open, now, slot * everyMs),
  });
  return true;
}
