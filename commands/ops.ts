import { z } from 'zod';
import {
  defineCommand,
  reply,
  subcommand,
  type CommandContext,
} from '../src/command/define-command';
import { JOB_ID_PATTERN } from '../src/queue/job-id';
import { formatSlackDate } from '../src/slack/slack-date';

/** `/ops`: the bot itself — self-test, help, the job list, cancellation. */

const STATE_EMOJI: Record<string, string> = {
  active: ':hourglass_flowing_sand:',
  waiting: ':double_vertical_bar:',
  delayed: ':double_vertical_bar:',
  prioritized: ':double_vertical_bar:',
  completed: ':white_check_mark:',
  failed: ':x:',
};

function helpText(ctx: CommandContext): string {
  const lines = ['*opsdeck commands*'];
  for (const command of ctx.commands) {
    lines.push('', `*/${command.name}* — ${command.summary}`);
    for (const sub of command.subcommands) lines.push(`• \`${sub.usage}\` — ${sub.summary}`);
  }
  return lines.join('\n');
}

const jobIdSchema = z
  .string()
  .regex(JOB_ID_PATTERN, 'is not a job id (like ping-3f9a2c1b7d; `/ops jobs` lists them)');

export default defineCommand({
  name: 'ops',
  summary: 'opsdeck itself: self-test, help, jobs, cancel',
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
      usage: '/ops ping [--ticks <1-60>] [--tick-seconds <0-60>]',
      summary: 'self-test: a short runbook with progress and a throwaway Redis key',
      options: { ticks: { type: 'string' }, 'tick-seconds': { type: 'string' } },
      schema: z.strictObject({
        ticks: z.coerce.number().int().min(1).max(60).default(3),
        'tick-seconds': z.coerce.number().min(0).max(60).default(1),
      }),
      plan: (input) => ({
        kind: 'runbook',
        runbook: 'ping',
        input: { ticks: input.ticks, tickMs: Math.round(input['tick-seconds'] * 1000) },
        summary: `self-test: ${input.ticks} ticks of ${input['tick-seconds']} s`,
      }),
    }),
    subcommand({
      name: 'jobs',
      usage: '/ops jobs',
      summary: 'running, waiting and recent jobs',
      schema: z.strictObject({}),
      readOnly: true,
      plan: async (_input, ctx) => {
        const jobs = await ctx.jobs.list();
        if (jobs.length === 0) return reply('No jobs yet. Try `/ops ping`.');
        const lines = jobs.map((job) => {
          const emoji = STATE_EMOJI[job.state] ?? ':grey_question:';
          const when = formatSlackDate(new Date(job.requestedAt));
          const why = job.failedReason ? ` — ${job.failedReason}` : '';
          return `${emoji} \`${job.id}\` ${job.state}: ${job.summary} (${job.actor.name}, ${when})${why}`;
        });
        return reply(['*Jobs*', ...lines].join('\n'));
      },
    }),
    subcommand({
      name: 'cancel',
      usage: '/ops cancel <job-id>',
      summary: 'cancel a waiting or running job (its cleanups still run)',
      positionals: ['job'],
      schema: z.strictObject({ job: jobIdSchema }),
      plan: async (input, ctx) => {
        const by = { id: ctx.requester.userId, name: ctx.requester.userName };
        const outcome = await ctx.jobs.cancel(input.job, by);
        switch (outcome.kind) {
          case 'not-found':
            return reply(`No job \`${input.job}\`. \`/ops jobs\` lists running and recent jobs.`);
          case 'already-finished':
            return reply(
              `Job \`${input.job}\` already finished (${outcome.state}); nothing to cancel.`,
            );
          case 'removed-before-start':
            return reply(`Job \`${input.job}\` was cancelled before it started; nothing had run.`);
          case 'cancelling':
            return reply(
              `Cancelling job \`${input.job}\`: the running step is stopped and its cleanups run. Follow its thread in the alert channel.`,
            );
        }
      },
    }),
  ],
});
