import { randomBytes } from 'node:crypto';
import type { SlackUser } from './slack-payloads';
import { viewBlockActionBody } from './view-payloads';

/**
 * The Home tab's requests in Slack's own formats: the `app_home_opened` event (an Events API
 * `event_callback`, JSON) and a button click in a published Home view (`block_actions` with a
 * `view` container: no channel, no response_url), for the console adapter and the tests.
 */

const APP_ID = 'A0OPSDECK';

export interface AppHomeOpenedRequest {
  user: SlackUser;
  /** Slack sends the event for the Messages tab too; only `home` asks for the Home tab. */
  tab?: 'home' | 'messages';
  /** The view last published for the user, which Slack includes once there is one. */
  view?: { id: string; hash: string };
  teamId?: string;
}

export function appHomeOpenedBody(request: AppHomeOpenedRequest): string {
  const teamId = request.teamId ?? 'T0OPSDECK';
  const eventTs = `${(Date.now() / 1000).toFixed(6)}`;
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: teamId,
    api_app_id: APP_ID,
    event: {
      type: 'app_home_opened',
      user: request.user.id,
      channel: `D0${request.user.id.slice(1)}`,
      tab: request.tab ?? 'home',
      event_ts: eventTs,
      ...(request.view && {
        view: { id: request.view.id, team_id: teamId, type: 'home', hash: request.view.hash },
      }),
    },
    type: 'event_callback',
    event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: teamId,
        user_id: 'U0OPSDECK',
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: randomBytes(16).toString('hex'),
  });
}

export interface HomeBlockActionRequest {
  actionId: string;
  value: string;
  blockId?: string;
  user: SlackUser;
  /** The published Home view the button is in. */
  view: { id: string; hash: string };
  teamId?: string;
}

export function homeBlockActionBody(request: HomeBlockActionRequest): string {
  return viewBlockActionBody(
    {
      user: request.user,
      view: {
        ...request.view,
        view: { type: 'home', blocks: [], private_metadata: '', callback_id: '' },
      },
      ...(request.teamId !== undefined && { teamId: request.teamId }),
    },
    {
      type: 'button',
      action_id: request.actionId,
      block_id: request.blockId ?? 'home',
      value: request.value,
      text: { type: 'plain_text', text: request.actionId },
    },
  );
}
