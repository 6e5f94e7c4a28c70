import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, ExpressReceiver, type BlockButtonAction } from '@slack/bolt';
import express, { type Router } from 'express';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../approvals/approval-messages';
import type { Secrets } from '../config/secrets';
import type { Logger } from '../log/logger';
import { redactText } from '../log/redact';
import { describeError } from '../errors';
import { md } from '../slack/mrkdwn';
import { CANCEL_ACTION_ID } from '../queue/job-thread-observer';
import { decideApproval } from '../approvals/approval-flow';
import { reviewEmergency } from '../approvals/emergency-review';
import { REVIEWED_ACTION_ID } from '../approvals/emergency-review-messages';
import { boltLogger } from './bolt-logger';
import { refuseFutureTimestamps } from './request-timestamp';
import { CONFIRM_ACTION_ID, splitConfirmedCommand } from '../command/confirm-button';
import {
  REPLICA_COMMAND_ACTION_ID,
  isReplicaButtonCommand,
} from '../replicas/replica-alert-messages';
import {
  handleSlashCommand,
  type FrontDoorDeps,
  type SlashCommandPayload,
} from './handle-slash-command';
import { registerModals } from './register-modals';
import { SocketModeReceiver, type SocketModeHealth } from '../slack/socket-mode-receiver';

export interface SlackFrontDoor {
  app: App;
  /** Starts listening; resolves with the HTTP port of the receiver / ops endpoints. */
  start(): Promise<number>;
  stop(): Promise<void>;
  /** In Socket Mode: the state of the connection to Slack, for /healthz. */
  socketHealth?: () => SocketModeHealth;
}

export interface SlackFrontDoorOptions {
  deps: FrontDoorDeps;
  secrets: Secrets;
  opsRouter: Router;
  logger: Logger;
}

/**
 * The Bolt app: HTTP receiver (signature and timestamp verified by Bolt; 5 minutes at most, in
 * the past by Bolt and in the future by refuseFutureTimestamps) or
 * Socket Mode (opsdeck's receiver: overlapping reconnects, see socket-mode-receiver.ts), chosen
 * by `slack.mode`. Console mode is the HTTP receiver talking to the local console adapter, or
 * Socket Mode with `npm run dev -- --socket`. The operator endpoints are on the HTTP port in
 * every mode.
 */
export function createSlackFrontDoor(options: SlackFrontDoorOptions): SlackFrontDoor {
  const { deps, secrets, opsRouter, logger } = options;
  const { config } = deps;
  const web = express();
  web.use(opsRouter);
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {};
  const shared = { token: secrets.botToken, logger: boltLogger(logger), clientOptions };

  let app: App;
  let receiver: ExpressReceiver | undefined;
  let socket: SocketModeReceiver | undefined;
  if (config.slack.mode === 'socket') {
    socket = new SocketModeReceiver({
      appToken: secrets.appToken ?? '',
      logger,
      boltLogger: shared.logger,
      clientOptions,
      ...config.slack.socket,
    });
    app = new App({ ...shared, receiver: socket });
  } else {
    // Before Bolt's router (which the receiver adds to `web`): Bolt refuses only old timestamps.
    web.use('/slack/events', refuseFutureTimestamps(logger));
    receiver = new ExpressReceiver({
      signingSecret: secrets.signingSecret ?? '',
      endpoints: '/slack/events',
      processBeforeResponse: false,
      app: web,
      logger: shared.logger,
    });
    app = new App({ ...shared, receiver });
  }

  const modals = registerModals(app, deps, secrets.workSigner);
  app.command(/.*/, async ({ command, ack, client }) => {
    if (await modals.openForm(command, () => ack(), client)) return;
    await ack(await handleSlashCommand(deps, command));
  });

  // The Cancel button is `/ops cancel <job>` by the clicker: authorized, audited and answered
  // exactly like the typed command.
  app.action<BlockButtonAction>(CANCEL_ACTION_ID, async ({ ack, body, action, respond }) => {
    await ack();
    const answer = await handleSlashCommand(
      deps,
      typedByClicker(body, { command: '/ops', text: `cancel ${action.value ?? ''}` }),
    );
    await respond({ ...answer, replace_original: false });
  });

  // A Confirm button carries the command it confirms: run as the clicker, like the typed command;
  // the answer replaces the question.
  app.action<BlockButtonAction>(CONFIRM_ACTION_ID, async ({ ack, body, action, respond }) => {
    await ack();
    const answer = await handleSlashCommand(
      deps,
      typedByClicker(body, splitConfirmedCommand(action.value ?? '')),
    );
    await respond({ ...answer, replace_original: true });
  });

  // A replica alert's Reseed and Mute buttons carry their `/seed-slave` command: run as the
  // clicker, authorized, approved and audited like the typed command; answered to the clicker
  // alone, the alert left as it is. Any other value is refused.
  app.action<BlockButtonAction>(
    REPLICA_COMMAND_ACTION_ID,
    async ({ ack, body, action, respond }) => {
      await ack();
      const value = action.value ?? '';
      const answer = isReplicaButtonCommand(value)
        ? await handleSlashCommand(deps, typedByClicker(body, splitConfirmedCommand(value)))
        : { response_type: 'ephemeral' as const, text: 'This button carries no replica command.' };
      await respond({ ...answer, replace_original: false });
    },
  );

  for (const [actionId, decision] of [
    [APPROVE_ACTION_ID, 'approve'],
    [REJECT_ACTION_ID, 'reject'],
  ] as const) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const text = await decideApproval(deps, {
        approvalId: action.value ?? '',
        decision,
        user: { id: body.user.id, name: clickerName(body) },
        ...(body.channel && { channel: { id: body.channel.id, name: body.channel.name } }),
      });
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: redactText(text.text),
      });
    });
  }

  // Reviewed, on an emergency's announcement: checked, audited and answered to the clicker alone.
  app.action<BlockButtonAction>(REVIEWED_ACTION_ID, async ({ ack, body, action, respond }) => {
    await ack();
    const text = await reviewEmergency(deps, {
      jobId: action.value ?? '',
      user: { id: body.user.id, name: clickerName(body) },
      ...(body.channel && { channel: { id: body.channel.id, name: body.channel.name } }),
    }).catch((error: unknown) => {
      logger.error({ err: error, jobId: action.value }, 'Reviewed click failed');
      return md`:x: The click could not be handled (${describeError(error)}); nothing was recorded. Trying again is safe.`;
    });
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: redactText(text.text),
    });
  });

  let server: Server | undefined;
  return {
    app,
    async start() {
      const listen = { port: config.http.port, host: config.http.host };
      if (receiver) {
        server = (await receiver.start(listen)) as Server;
      } else {
        // /healthz first: it says how connecting to Slack goes.
        server = await new Promise<Server>((resolve) => {
          const s = web.listen(listen.port, listen.host, () => resolve(s));
        });
        await app.start();
      }
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      if (receiver) await receiver.stop();
      else {
        await app.stop();
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      }
    },
    ...(socket && { socketHealth: () => socket.health() }),
  };
}

/** A button that stands for a command: the command as if the clicker had typed it there. */
function typedByClicker(
  body: BlockButtonAction,
  typed: { command: string; text: string },
): SlashCommandPayload {
  return {
    ...typed,
    user_id: body.user.id,
    user_name: clickerName(body),
    channel_id: body.channel?.id ?? '',
    channel_name: body.channel?.name ?? '',
    team_id: body.team?.id ?? body.user.team_id ?? '',
    trigger_id: body.trigger_id,
  };
}

function clickerName(body: BlockButtonAction): string {
  return body.user.name ?? body.user.username ?? body.user.id;
}
