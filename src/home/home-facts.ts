import {
  authorizeApprovalDecision,
  authorizeJobCommand,
  userGroupsNamed,
} from '../approvals/access-policy';
import type { StoredPlan } from '../approvals/approval-messages';
import type { ApprovalRecord, ApprovalStore } from '../approvals/approval-store';
import type { AccessConfig } from '../config/access';
import type { ResolvedFeed } from '../config/feeds';
import type { DeployLock } from '../deploy/deploy-lock';
import { describeError } from '../errors';
import type { FeedState } from '../feeds/feed-state-store';
import type { JobStore, JobSummary } from '../queue/job-store';
import type { ReplicaWatchHealth } from '../replicas/replica-health';
import { USER_GROUP_LOOKUP_MS, type UserGroupMembership } from '../slack/user-group-membership';

/**
 * What one user's Home tab shows, read at one moment from the stores the commands read: the
 * open jobs (and whether this user may cancel each, under the same rule as `/ops cancel`), the
 * approvals this user may decide (as an Approve click would be checked), the locks, the
 * replicas as the watch last saw them (`/ops replicas`), the feeds' state (`/ops feeds`) and the
 * user's own last jobs. A source that cannot be read is named in `unreadable`; the rest is shown.
 */

export interface HomeJob extends JobSummary {
  /** Whether this user may cancel it (`/ops cancel` would be allowed). */
  mayCancel: boolean;
}

export interface HomeFacts {
  userId: string;
  at: number;
  open: HomeJob[];
  /** How many jobs are open in all (more than `open` holds when there are many). */
  openTotal: number;
  approvals: ApprovalRecord<StoredPlan>[];
  /** Undefined without a `deploy` config section (no locks exist then). */
  locks?: DeployLock[];
  replicas: { replica: string; health: ReplicaWatchHealth | null }[];
  feeds: { feed: Pick<ResolvedFeed, 'name' | 'vendor'>; state: FeedState }[];
  lastJobs: JobSummary[];
  /** The parts that could not be read, each with why. */
  unreadable: { part: string; error: string }[];
}

export interface HomeSources {
  access: AccessConfig;
  jobs: Pick<JobStore, 'overview'>;
  approvals: Pick<ApprovalStore, 'pending'>;
  locks?: { list(): Promise<DeployLock[]> };
  replicas: { names(): string[]; last(replica: string): Promise<ReplicaWatchHealth | null> };
  feeds: { list: readonly ResolvedFeed[]; read(feed: string): Promise<FeedState> };
  userGroups: Pick<UserGroupMembership, 'lookUp'>;
}

/** At most this many open jobs are read (the view shows fewer and counts the rest). */
const OPEN_JOBS_READ = 50;
/** The finished jobs looked through for the user's own. */
const FINISHED_JOBS_READ = 100;
const LAST_JOBS = 5;

/** What every user's Home shows alike, read once for all of them. */
export interface HomeState {
  at: number;
  jobs: Awaited<ReturnType<JobStore['overview']>>;
  approvals: ApprovalRecord<StoredPlan>[];
  locks?: DeployLock[];
  replicas: HomeFacts['replicas'];
  feeds: HomeFacts['feeds'];
  unreadable: HomeFacts['unreadable'];
}

/**
 * Reads each user's Home facts; what all users share is read once and used for `maxAgeMs` (a
 * refresh reads the Home of every recent user one after the other), what is the user's own
 * (their groups, what they may cancel or approve, their last jobs) for each.
 */
export function homeFactsReader(
  sources: HomeSources,
  maxAgeMs = 500,
): (userId: string) => Promise<HomeFacts> {
  let shared: { at: number; state: Promise<HomeState> } | undefined;
  return async (userId) => {
    const now = Date.now();
    if (!shared || now - shared.at > maxAgeMs) {
      shared = { at: now, state: readHomeState(sources, now) };
    }
    return readHomeFacts(sources, userId, await shared.state);
  };
}

export async function readHomeState(sources: HomeSources, now = Date.now()): Promise<HomeState> {
  const unreadable: HomeFacts['unreadable'] = [];
  const read = async <T>(part: string, fallback: T, what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (error) {
      unreadable.push({ part, error: describeError(error) });
      return fallback;
    }
  };
  const lockStore = sources.locks;
  const [jobs, approvals, locks, replicas, feeds] = await Promise.all([
    read('jobs', { open: [], openTotal: 0, finished: [] }, () =>
      sources.jobs.overview(OPEN_JOBS_READ, FINISHED_JOBS_READ),
    ),
    read('approvals', [], () => sources.approvals.pending<StoredPlan>(now)),
    lockStore ? read('locks', [], () => lockStore.list()) : undefined,
    read('replicas', [], () =>
      Promise.all(
        sources.replicas
          .names()
          .map(async (replica) => ({ replica, health: await sources.replicas.last(replica) })),
      ),
    ),
    read('feeds', [], () =>
      Promise.all(
        sources.feeds.list.map(async (feed) => ({
          feed,
          state: await sources.feeds.read(feed.name),
        })),
      ),
    ),
  ]);
  return { at: now, jobs, approvals, ...(locks && { locks }), replicas, feeds, unreadable };
}

/** One user's facts from the shared state: what they may cancel and approve, their last jobs. */
export async function readHomeFacts(
  sources: HomeSources,
  userId: string,
  state: HomeState,
): Promise<HomeFacts> {
  const { jobs, approvals, locks, replicas, feeds, unreadable, at: now } = state;
  const groups = await sources.userGroups.lookUp(
    userId,
    userGroupsNamed(sources.access),
    USER_GROUP_LOOKUP_MS,
  );
  const asked = {
    userId,
    // The Home tab is no channel: a rule that names channels does not apply to it.
    channelId: '',
    ...(groups.memberOf.length > 0 && { userGroupIds: groups.memberOf }),
  };
  return {
    userId,
    at: now,
    open: jobs.open.map((job) => ({
      ...job,
      mayCancel: authorizeJobCommand(
        sources.access,
        { command: 'ops cancel', ...asked },
        {
          jobId: job.id,
          command: job.commandName,
          ...(job.target !== undefined && { target: job.target }),
        },
        'cancel',
      ).allowed,
    })),
    openTotal: jobs.openTotal,
    approvals: approvals.filter(
      (record) =>
        authorizeApprovalDecision(sources.access, {
          request: record.request,
          requirement: record.requirement,
          approverId: userId,
          approverGroupIds: groups.memberOf,
          decision: 'approve',
        }).ok,
    ),
    ...(locks && { locks }),
    replicas,
    feeds,
    lastJobs: jobs.finished.filter((job) => job.actor.id === userId).slice(0, LAST_JOBS),
    unreadable,
  };
}
