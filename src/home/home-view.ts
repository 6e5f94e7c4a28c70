import { approvalButtons } from '../approvals/approval-messages';
import type { ApprovalRecord } from '../approvals/approval-store';
import type { StoredPlan } from '../approvals/approval-messages';
import type { DeployLock } from '../deploy/deploy-lock';
import { feedHealthEmoji, feedHealthText } from '../feeds/feeds-listing';
import { JOB_STATE_EMOJI, type JobSummary } from '../queue/job-store';
import { cancelButton } from '../queue/job-thread-observer';
import { healthEmoji } from '../replicas/health-text';
import type { ReplicaWatchHealth } from '../replicas/replica-health';
import { actions, context, header, LIMITS, section, type Block } from '../slack/blocks';
import {
  code,
  date,
  join,
  md,
  mention,
  storedMrkdwn,
  truncate,
  type Mrkdwn,
} from '../slack/mrkdwn';
import type { HomeFacts, HomeJob } from './home-facts';

/**
 * One user's Home tab, built from what was read (home-facts.ts) through the rendering layer:
 * every value from outside (typed commands, error texts, lock reasons, incident titles) is
 * escaped. Most urgent first: what waits for this user's approval, what runs (with Cancel where
 * the user may cancel), locks, replicas, feeds, the user's last jobs. Long lists are cut with
 * "and N more", so the view never has more than Slack's 100 blocks for a Home tab.
 */

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

/** How much of each list is shown; the rest is counted. Worst case: 4 + 2 + 2×15 + 2 + 40 + 8 = 86 blocks. */
export const HOME_SHOWN = { approvals: 15, jobs: 40, lines: 15 } as const;

/** A line of a list is cut here, so one long summary cannot crowd out the others. */
const LINE_CHARS = 600;
/** A list section's lines stop before Slack's 3000 characters, leaving room for "and N more". */
const LIST_CHARS = 2800;

export function homeView(facts: HomeFacts, notice?: Mrkdwn): HomeView {
  const blocks: Block[] = [
    header('opsdeck: operations now'),
    ...(notice ? [section(notice)] : []),
    context(
      md`What runs, what is locked, what waits for ${mention(facts.userId)} · updated ${date(facts.at)}`,
    ),
    ...approvalBlocks(facts.approvals),
    ...jobBlocks(facts.open, facts.openTotal),
    header('Locks'),
    listSection(
      facts.locks === undefined ? undefined : facts.locks.map(lockLine),
      md`No locks are held.`,
      md`No locks: \`deploy\` is not configured.`,
    ),
    header('Replicas'),
    listSection(facts.replicas.map(replicaLine), md`No replicas are configured.`),
    header('Status feeds'),
    listSection(
      facts.feeds.map(
        ({ feed, state }) =>
          md`${feedHealthEmoji(state)} *${feed.name}* (${feed.vendor}): ${feedHealthText(state, facts.at)}`,
      ),
      md`No status feeds are configured.`,
    ),
    header('Your last jobs'),
    listSection(facts.lastJobs.map(jobLine), md`You have run no job lately.`),
  ];
  if (facts.unreadable.length > 0) {
    blocks.push(
      context(
        join(
          facts.unreadable.map(
            ({ part, error }) => md`:warning: ${part} could not be read: ${error}`,
          ),
          '\n',
        ),
      ),
    );
  }
  return { type: 'home', blocks: blocks.slice(0, LIMITS.homeBlocks) };
}

function approvalBlocks(approvals: readonly ApprovalRecord<StoredPlan>[]): Block[] {
  const shown = approvals.slice(0, HOME_SHOWN.approvals);
  return [
    header('Waiting for your approval'),
    ...(shown.length === 0 ? [context(md`Nothing waits for your approval.`)] : []),
    ...shown.flatMap((record) => {
      const target =
        record.request.target === undefined ? md`` : md` on ${code(record.request.target)}`;
      const requester = record.requesterName ?? record.request.userId;
      return [
        section(
          line(
            md`${code(record.request.command)}${target} for ${mention(record.request.userId)} (${requester}) · expires ${date(record.expiresAt)} · ${code(record.id)}\n>${storedMrkdwn(record.plan.summary)}`,
          ),
        ),
        actions(approvalButtons(record), `home-approval:${record.id}`),
      ];
    }),
    ...more(approvals.length - shown.length, md`the approval messages are in the alert channel`),
  ];
}

function jobBlocks(open: readonly HomeJob[], openTotal: number): Block[] {
  const shown = open.slice(0, HOME_SHOWN.jobs);
  return [
    header('Running and waiting jobs'),
    ...(shown.length === 0 ? [context(md`No job runs or waits.`)] : []),
    ...shown.map((job) => section(jobLine(job), job.mayCancel ? cancelButton(job.id) : undefined)),
    ...more(Math.max(openTotal, open.length) - shown.length, md`\`/ops jobs\` lists them`),
  ];
}

function jobLine(job: JobSummary): Mrkdwn {
  const emoji = JOB_STATE_EMOJI[job.state] ?? ':grey_question:';
  const why = job.failedReason ? md`\n> ${job.failedReason}` : md``;
  return line(
    md`${emoji} ${code(job.id)} ${job.state} · ${code(job.command)} · ${mention(job.actor.id)} (${job.actor.name}) · ${date(new Date(job.requestedAt))}\n${storedMrkdwn(job.summary)}${why}`,
  );
}

function lockLine(lock: DeployLock): Mrkdwn {
  const by = lock.jobId ? md`job ${code(lock.jobId)}` : md`${lock.actor.name}`;
  const until = lock.expiresAt === undefined ? md`` : md` until ${date(lock.expiresAt)}`;
  return md`:lock: *${lock.app}/${lock.env}* (${lock.kind}) by ${mention(lock.actor.id)} · ${by} · since ${date(lock.since)}${until}: ${lock.reason}`;
}

function replicaLine(entry: { replica: string; health: ReplicaWatchHealth | null }): Mrkdwn {
  const { replica, health } = entry;
  if (health === null) return md`:white_circle: *${replica}*: not checked yet`;
  const incidents = health.incidents.map(
    (incident) =>
      md`\n    ${incident.severity === 'error' ? ':red_circle:' : ':warning:'} ${incident.title}`,
  );
  const state =
    health.incidents.length === 0
      ? 'healthy'
      : `${health.incidents.length} incident${health.incidents.length === 1 ? '' : 's'}`;
  return md`${healthEmoji(health)} *${replica}*: ${state} (checked ${date(health.at)})${join(incidents)}`;
}

/** Lines in one section, as many as fit; the rest counted. `undefined` lines: `missing` instead. */
function listSection(lines: Mrkdwn[] | undefined, empty: Mrkdwn, missing = empty): Block {
  if (lines === undefined) return context(missing);
  if (lines.length === 0) return context(empty);
  const kept: Mrkdwn[] = [];
  let length = 0;
  for (const each of lines.slice(0, HOME_SHOWN.lines).map(line)) {
    if (kept.length > 0 && length + each.text.length + 1 > LIST_CHARS) break;
    kept.push(each);
    length += each.text.length + 1;
  }
  const rest = lines.length - kept.length;
  return section(join(rest > 0 ? [...kept, md`_and ${rest} more_`] : kept, '\n'));
}

function more(count: number, where: Mrkdwn): Block[] {
  return count > 0 ? [context(md`_and ${count} more_ · ${where}`)] : [];
}

function line(text: Mrkdwn): Mrkdwn {
  return truncate(text, LINE_CHARS);
}
