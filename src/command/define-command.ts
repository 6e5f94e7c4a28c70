import type { KnownBlock } from '@slack/types';
import type { z } from 'zod';
import type { OpsdeckConfig } from '../config/schema';
import type { JobStore } from '../queue/job-store';

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
  /** All registered commands, for help. */
  commands: readonly CommandModule[];
}

/** What the user sees at once, in an ephemeral reply. */
export interface Reply {
  kind: 'reply';
  text: string;
  blocks?: KnownBlock[];
}

/** A runbook to enqueue: which one, with what input, and a one-line description of the plan. */
export interface RunbookPlan {
  kind: 'runbook';
  runbook: string;
  input: Record<string, unknown>;
  summary: string;
  /** What the job acts on (a database, an app+env, a zone), for the audit trail and access rules. */
  target?: string;
}

export type CommandOutcome = Reply | RunbookPlan;

export interface SubcommandSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  usage: string;
  summary: string;
  /** Names of positional arguments, in order; the last may be variadic with a `...` suffix. */
  positionals?: readonly string[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Validates `{ ...options, ...positionals }`; its messages are shown to the user. */
  schema: S;
  /** Changes nothing anywhere (help, listings): allowed even when changing commands are refused. */
  readOnly?: boolean;
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

export function defineCommand(module: CommandModule): CommandModule {
  return module;
}

/** Keeps the schema's inferred type for `plan` while storing the subcommand untyped. */
export function subcommand<S extends z.ZodType>(spec: SubcommandSpec<S>): SubcommandSpec {
  return spec as unknown as SubcommandSpec;
}

export function reply(text: string, blocks?: KnownBlock[]): Reply {
  return blocks ? { kind: 'reply', text, blocks } : { kind: 'reply', text };
}
