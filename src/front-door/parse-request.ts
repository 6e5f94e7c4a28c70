import {
  commandName,
  type CommandModule,
  type Requester,
  type SubcommandSpec,
} from '../command/define-command';
import { parseCommand } from '../command/parse-command';
import type { FrontDoorDeps, SlashCommandPayload } from './front-door-deps';

/** Stage 1: a slash command's text as a validated subcommand input, and who asked from where. */
export interface ParsedRequest {
  module: CommandModule;
  subcommand: SubcommandSpec;
  input: unknown;
  /** The command as access rules and the audit trail name it: `ops ping`, `restore-table`. */
  command: string;
  /** Database, app/env or zone the request acts on, when the command has one. */
  target?: string;
  /** The reason of a declared emergency (`--emergency "<reason>"`). */
  emergency?: string;
  requester: Requester;
}

/**
 * Parses the typed text with the command's grammar: undefined for a command opsdeck does not
 * know; a UsageError (thrown) for anything else wrong with it. Pure: nothing is touched.
 */
export function parseRequest(
  deps: Pick<FrontDoorDeps, 'commands' | 'config'>,
  payload: SlashCommandPayload,
): ParsedRequest | undefined {
  const module = deps.commands.find(payload.command.replace(/^\//, ''));
  if (!module) return undefined;
  const { subcommand, input } = parseCommand(module, payload.text);
  const requester: Requester = {
    userId: payload.user_id,
    userName: payload.user_name,
    channelId: payload.channel_id,
    channelName: payload.channel_name,
    teamId: payload.team_id,
    triggerId: payload.trigger_id,
  };
  const target = subcommand.target?.(input, { requester, config: deps.config });
  const emergency = subcommand.emergency?.(input);
  return {
    module,
    subcommand,
    input,
    command: commandName(module, subcommand),
    ...(target !== undefined && { target }),
    ...(emergency !== undefined && { emergency }),
    requester,
  };
}
