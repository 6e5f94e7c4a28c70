import type { Block } from '../slack/blocks';
import type { Mrkdwn } from '../slack/mrkdwn';
import type { z } from 'zod';
import type { AuditStore } from '../audit/audit-store';
import type { AwsClients } from '../aws/clients';
import type { OpsdeckConfig } from '../config/schema';
import type { DeployServices } from '../deploy/deploy-services';
import type { EmergencyReviews } from '../approvals/emergency-reviews';
import type { DatabaseAccess } from '../mysql/database-access';
import type { FeedState } from '../feeds/feed-state-store';
import type { ResolvedFeed } from '../config/feeds';
import type { JobStore } from '../queue/job-store';
import type { ReplicaHealthView } from '../replicas/replica-health-view';
import type { RunbookPlan } from './runbook-plan';

export type { RunbookPlan } from './runbook-plan';

/**
 * A slash command module (commands/<name>.ts) declares its grammar, its help text and a planner
 * per subcommand; the front door does the rest (tokenize, validate, enqueue, answer). Adding a
 * command is adding one file.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

/** Who asked, from where: taken from the verified Slack request. */
export interface Requester {
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
  teamId: string;
  /** Unique per Slack request; a redelivery of the same request carries the same id. */
  triggerId: string;
}

export interface CommandContext {
  requester: Requester;
  config: OpsdeckConfig;
  jobs: JobStore;
  /** The audit trail, for reading (`/ops audit`); the front door writes it. */
  audit: AuditStore;
  /** All registered commands, for help. */
  commands: readonly CommandModule[];
  /** The AWS SDK clients, for planners that compare with what exists (read only: plans change nothing). */
  aws: AwsClients;
  /** The configured databases, for planners that check a table exists (read only). */
  databases: DatabaseAccess;
  /** `/deploy`'s locks and history (with a `deploy` config section). */
  deploys?: DeployServices;
  /** The configured status feeds and their polling state (`/ops feeds`). */
  feeds: FeedStatus;
  /** The replicas' health as the replica watch evaluates it (`/seed-slave status`, `/ops replicas`). */
  replicas: ReplicaHealthView;
  /** Emergencies waiting for their review (`/ops reviews`). */
  reviews: Pick<EmergencyReviews, 'listOpen'>;
}

export interface FeedStatus {
  list: readonly ResolvedFeed[];
  read(feed: string): Promise<FeedState>;
}

/** Where a request comes from, for targets that depend on it (a channel's default zone). */
export interface TargetContext {
  requester: Requester;
  config: OpsdeckConfig;
}

/** What the user sees at once, in an ephemeral reply. */
export interface Reply {
  kind: 'reply';
  text: Mrkdwn;
  blocks?: Block[];
}

/**
 * A change made at once, in the front door (cancelling a job): `run` is called only after the
 * request is authorized and its audit event written. Cannot wait for an approval.
 */
export interface Action {
  kind: 'action';
  summary: string;
  run(): Promise<Reply>;
}

export type CommandOutcome = Reply | RunbookPlan | Action;

export interface SubcommandSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  usage: string;
  summary: string;
  /** Names of positional arguments, in order; the last may be variadic with a `...` suffix. */
  positionals?: readonly string[];
  options?: Readonly<Record<string, OptionSpec>>;
  /**
   * Arguments that are free text (a lock's reason): they may hold invisible and bidirectional
   * control characters, which messages show as ⟨U+202E⟩. Every other argument refuses them.
   */
  freeText?: readonly string[];
  /** Validates `{ ...options, ...positionals }`; its messages are shown to the user. */
  schema: S;
  /**
   * The command name access rules and the audit trail use for this subcommand when it is another
   * one's (a `/deploy rollback` is authorized, approved and audited as a `deploy` of its target).
   */
  authorizeAs?: string;
  /**
   * The emergency this request declares (`--emergency "<reason>"`), from the validated input: its
   * reason, or undefined for an ordinary request. Decided under BREAK_GLASS
   * (src/approvals/access-policy.ts): no approval is asked, the approvers review it afterwards.
   */
  emergency?(input: z.infer<S>): string | undefined;
  /** Changes nothing anywhere (help, listings): allowed even when changing commands are refused. */
  readOnly?: boolean;
  /**
   * The subcommand acts on a job (`/ops cancel <job>`, `/ops audit <job>`): the front door finds
   * the job's own command and target and authorizes against them (JOB_ACCESS in
   * src/approvals/access-policy.ts): `cancel` needs a rule for this command whose targets match
   * `<job command> <job target>`, or the rule that lets the requester run the job's command on
   * its target; `read` needs, besides a rule for this command, read access to the job's target.
   */
  job?: { id(input: z.infer<S>): string; access: 'cancel' | 'read' };
  /**
   * What the request acts on (a database, an app+env, a zone), from the validated input: access
   * rules are matched against it before planning, and the audit trail and the job carry it.
   */
  target?(input: z.infer<S>, where: TargetContext): string | undefined;
  /**
   * Never changes anything itself: returns a reply (reading is fine), a RunbookPlan, or an Action
   * whose `run` makes the change once the front door has authorized and audited the request.
   */
  plan(input: z.infer<S>, ctx: CommandContext): Promise<CommandOutcome> | CommandOutcome;
}

export interface CommandModule {
  /** The slash command without the slash, e.g. `ops` for `/ops`. */
  name: string;
  summary: string;
  subcommands: readonly SubcommandSpec[];
  /** Subcommand used when the text is empty or starts with an option. */
  defaultSubcommand?: string;
}

/**
 * The name access rules and the audit trail use for a request: `ops ping`; the subcommand that
 * carries the command's own name is just that name (`restore-table`, `seed-slave` beside
 * `seed-slave status`); a subcommand that says `authorizeAs` goes by that name.
 */
export function commandName(module: CommandModule, sub: SubcommandSpec): string {
  if (sub.authorizeAs !== undefined) return sub.authorizeAs;
  return sub.name === module.name ? module.name : `${module.name} ${sub.name}`;
}

export function defineCommand(module: CommandModule): CommandModule {
  return module;
}

/** Keeps the schema's inferred type for `plan` while storing the subcommand untyped. */
export function subcommand<S extends z.ZodType>(spec: SubcommandSpec<S>): SubcommandSpec {
  return spec as unknown as SubcommandSpec;
}

export function reply(text: Mrkdwn, blocks?: Block[]): Reply {
  return blocks ? { kind: 'reply', text, blocks } : { kind: 'reply', text };
}
