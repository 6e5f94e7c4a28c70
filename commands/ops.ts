import { z } from 'zod';
import { jobTimeline, jobTimelineMrkdwn } from '../src/audit/export-timeline';
import {
  defineCommand,
  reply,
  subcommand,
  type CommandContext,
} from '../src/command/define-command';
import { decimalArgument } from '../src/command/decimal-number';
import { runbookPlan } from '../src/command/runbook-plan';
import { describeError } from '../src/errors';
import ping from '../jobs/ping';
import { feedsListingText } from '../src/feeds/feeds-listing';
import { replicasListingText } from '../src/replicas/health-text';
import { JOB_ID_PATTERN } from '../src/queue/job-id';
import { reviewLine } from '../src/approvals/emergency-review-messages';
import { code, date, join, md, storedMrkdwn, type Mrkdwn } from '../src/slack/mrkdwn';

/** `/ops`: the bot itself — self-test, help, the job list, cancellation, a job's audit trail. */

const STATE_EMOJI: Record<string, string> = {
  active: ':hourglass_flowing_sand:',
  waiting: ':double_vertical_bar:',
  delayed: ':double_vertical_bar:',
  prioritized: ':double_vertical_bar:',
  completed: ':white_check_mark:',
  failed: ':x:',
};

function helpText(ctx: CommandContext): Mrkdwn {
  const lines = [md`*opsdeck commands*`];
  for (const command of ctx.commands) {
    lines.push(md``, md`*/${command.name}* — ${command.summary}`);
    for (const sub of command.subcommands) lines.push(md`• ${code(sub.usage)} — ${sub.summary}`);
  }
  return join(lines, '\n');
}

const jobIdSchema = z
  .string()
  .regex(JOB_ID_PATTERN, 'is not a job id (like ping-3f9a2c1b7d; `/ops jobs` lists them)');

export default defineCommand({
  name: 'ops',
  summary:
    'opsdeck itself: self-test, help, jobs, cancel, audit, emergency reviews, status feeds, replicas',
  subcommands: [
    subcommand({
      name: 'help',
      usage: '/ops help',
      summary: 'list every command with its usage',
      schema: z.strictObject({}),
      readOnly: true,
      plan: (_input, ctx) => reply(helpText(ctx)),
    }),
    subcommand({
      name: 'ping',
      usage: '/ops ping [--ticks <1-60>] [--tick-seconds <0-60>] [--approve-midway]',
      summary:
        'self-test: a short runbook with progress and a throwaway Redis key (--approve-midway: it asks for approval before reading the key back)',
      options: {
        ticks: { type: 'string' },
        'tick-seconds': { type: 'string' },
        'approve-midway': { type: 'boolean' },
      },
      schema: z.strictObject({
        ticks: decimalArgument({ min: 1, max: 60 }).default(3),
        'tick-seconds': decimalArgument({
          min: 0,
          max: 60,
          fractionDigits: 3,
          unit: 'seconds',
        }).default(1),
        'approve-midway': z.boolean().default(false),
      }),
      plan: (input) =>
        runbookPlan(
          ping,
          {
            ticks: input.ticks,
            tickMs: Math.round(input['tick-seconds'] * 1000),
            approveMidway: input['approve-midway'],
          },
          undefined,
          {
            summary: md`self-test: ${input.ticks} ticks of ${input['tick-seconds']} s${input['approve-midway'] ? ', approval midway' : ''}`,
          },
        ),
    }),
    subcommand({
      name: 'jobs',
      usage: '/ops jobs',
      summary: 'running, waiting and recent jobs',
      schema: z.strictObject({}),
      readOnly: true,
      plan: async (_input, ctx) => {
        const jobs = await ctx.jobs.list();
        if (jobs.length === 0) return reply(md`No jobs yet. Try \`/ops ping\`.`);
        const lines = jobs.map((job) => {
          const emoji = STATE_EMOJI[job.state] ?? ':grey_question:';
          const when = date(new Date(job.requestedAt));
          const why = job.failedReason ? md` — ${job.failedReason}` : md``;
          return md`${emoji} ${code(job.id)} ${job.state}: ${storedMrkdwn(job.summary)} (${job.actor.name}, ${when})${why}`;
        });
        return reply(join([md`*Jobs*`, ...lines], '\n'));
      },
    }),
    subcommand({
      name: 'reviews',
      usage: '/ops reviews',
      summary:
        'emergencies that ran without approval and wait for an approver to press Reviewed (overdue ones said so)',
      schema: z.strictObject({}),
      readOnly: true,
      plan: async (_input, ctx) => {
        const open = await ctx.reviews.listOpen();
        if (open.length === 0) return reply(md`No emergency waits for review.`);
        const now = Date.now();
        return reply(
          join(
            [
              md`*Emergencies waiting for review* (${open.length}); an approver presses *Reviewed* on each announcement:`,
              ...open.map((review) => reviewLine(review, now)),
            ],
            '\n',
          ),
        );
      },
    }),
    subcommand({
      name: 'feeds',
      usage: '/ops feeds',
      summary: 'the status feeds relayed to Slack: last poll, last change, health',
      schema: z.strictObject({}),
      readOnly: true,
      plan: async (_input, ctx) => {
        let states;
        try {
          states = await Promise.all(ctx.feeds.list.map((feed) => ctx.feeds.read(feed.name)));
        } catch (error) {
          return reply(
            md`:warning: The feeds' state cannot be read right now (${describeError(error)}). Try again later.`,
          );
        }
        return reply(
          feedsListingText(
            ctx.feeds.list.map((feed, index) => ({ feed, state: states[index]! })),
            Date.now(),
          ),
        );
      },
    }),
    subcommand({
      name: 'replicas',
      usage: '/ops replicas',
      summary:
        "every configured replica's health as the replica watch last checked it: threads, lag, errors, read_only, retention, margin, open incidents",
      schema: z.strictObject({}),
      readOnly: true,
      plan: async (_input, ctx) => {
        const names = ctx.databases.replicaNames();
        let entries;
        try {
          entries = await Promise.all(
            names.map(async (replica) => ({ replica, health: await ctx.replicas.last(replica) })),
          );
        } catch (error) {
          return reply(
            md`:warning: The replicas' health cannot be read right now (${describeError(error)}). Try again later.`,
          );
        }
        return reply(replicasListingText(entries));
      },
    }),
    subcommand({
      name: 'cancel',
      usage: '/ops cancel <job-id>',
      summary: 'cancel a waiting or running job (its cleanups still run)',
      positionals: ['job'],
      schema: z.strictObject({ job: jobIdSchema }),
      job: { id: (input) => input.job, access: 'cancel' },
      plan: (input, ctx) => ({
        kind: 'action',
        summary: `cancel job ${input.job}`,
        run: async () => {
          const by = { id: ctx.requester.userId, name: ctx.requester.userName };
          const outcome = await ctx.jobs.cancel(input.job, by);
          switch (outcome.kind) {
            case 'not-found':
              return reply(
                md`No job ${code(input.job)}. \`/ops jobs\` lists running and recent jobs.`,
              );
            case 'already-finished':
              return reply(
                md`Job ${code(input.job)} already finished (${outcome.state}); nothing to cancel.`,
              );
            case 'removed-before-start':
              return reply(
                md`Job ${code(input.job)} was cancelled before it started; nothing had run.`,
              );
            case 'cancelling':
              return reply(
                md`Cancelling job ${code(input.job)}: the running step is stopped and its cleanups run. Follow its thread in the alert channel.`,
              );
          }
        },
      }),
    }),
    subcommand({
      name: 'audit',
      usage: '/ops audit <job-id>',
      summary: "one job's audit trail: who asked, who approved, each step, the outcome",
      positionals: ['job'],
      schema: z.strictObject({ job: jobIdSchema }),
      readOnly: true,
      job: { id: (input) => input.job, access: 'read' },
      plan: async (input, ctx) => {
        let timeline;
        try {
          timeline = await jobTimeline(ctx.audit, input.job);
        } catch (error) {
          return reply(
            md`:warning: The audit trail cannot be read right now (${describeError(error)}). Try again later.`,
          );
        }
        return timeline === null
          ? reply(md`The audit trail has nothing for job ${code(input.job)}.`)
          : reply(jobTimelineMrkdwn(timeline));
      },
    }),
  ],
});
