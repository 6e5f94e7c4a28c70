import { randomBytes } from 'node:crypto';

/**
 * Request bodies in Slack's own formats (form-encoded slash commands; `payload=<json>` for
 * interactions), for the console adapter, the tests and the benchmark.
 */
export interface SlackUser {
  id: string;
  name: string;
}

export interface SlackChannel {
  id: string;
  name: string;
}

export interface SlashCommandRequest {
  command: string;
  text: string;
  user: SlackUser;
  channel: SlackChannel;
  responseUrl: string;
  teamId?: string;
  /** Slack makes one per request; a redelivery repeats it. */
  triggerId?: string;
}

export function newTriggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}

export function slashCommandBody(request: SlashCommandRequest): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: request.teamId ?? 'T0OPSDECK',
    team_domain: 'opsdeck',
    channel_id: request.channel.id,
    channel_name: request.channel.name,
    user_id: request.user.id,
    user_name: request.user.name,
    command: request.command,
    text: request.text,
    api_app_id: 'A0OPSDECK',
    is_enterprise_install: 'false',
    response_url: request.responseUrl,
    trigger_id: request.triggerId ?? newTriggerId(),
  }).toString();
}

export interface BlockActionRequest {
  actionId: string;
  value: string;
  user: SlackUser;
  channel: SlackChannel;
  responseUrl: string;
  /** The message that carried the button. */
  messageTs: string;
  teamId?: string;
}

export function blockActionBody(request: BlockActionRequest): string {
  const teamId = request.teamId ?? 'T0OPSDECK';
  const payload = {
    type: 'block_actions',
    user: {
      id: request.user.id,
      username: request.user.name,
      name: request.user.name,
      team_id: teamId,
    },
    api_app_id: 'A0OPSDECK',
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: request.messageTs,
      channel_id: request.channel.id,
      is_ephemeral: false,
    },
    trigger_id: newTriggerId(),
    team: { id: teamId, domain: 'opsdeck' },
    enterprise: null,
    is_enterprise_install: false,
    channel: request.channel,
    message: { type: 'message', ts: request.messageTs, text: '' },
    state: { values: {} },
    response_url: request.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: request.actionId,
        block_id: 'actions',
        value: request.value,
        text: { type: 'plain_text', text: request.actionId },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
