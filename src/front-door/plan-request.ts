import type { CommandContext, CommandOutcome } from '../command/define-command';
import type { AckBudget } from './ack-budget';
import type { FrontDoorDeps } from './front-door-deps';
import type { ParsedRequest } from './parse-request';

/**
 * Stage 3: the command's planner, bounded by the ack budget. Planners read (AWS, databases,
 * the queue) and never change anything: what they return is a reply, a runbook to enqueue, or
 * an action the front door runs once the request is admitted.
 */
export function planRequest(
  deps: FrontDoorDeps,
  parsed: ParsedRequest,
  budget: AckBudget,
): Promise<CommandOutcome> {
  const ctx: CommandContext = {
    requester: parsed.requester,
    config: deps.config,
    jobs: deps.jobs,
    audit: deps.auditStore,
    commands: deps.commands.all,
    aws: deps.aws,
    databases: deps.databases,
    ...(deps.deploys && { deploys: deps.deploys }),
    feeds: deps.feeds,
    replicas: deps.replicas,
    reviews: deps.reviews,
  };
  return budget.bound(Promise.resolve(parsed.subcommand.plan(parsed.input, ctx)), 'the planner');
}
