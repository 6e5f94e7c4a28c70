import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, ExpressReceiver, type BlockButtonAction } from '@slack/bolt';
import express, { type Router } from 'express';
import type { Secrets } from '../config/secrets';
import type { Logger } from '../log/logger';
import { CANCEL_ACTION_ID } from '../notify/job-thread-observer';
import { boltLogger } from './bolt-logger';
import { handleSlashCommand, type FrontDoorDeps } from './handle-slash-command';

export interface SlackFrontDoor {
  app: App;
  /** Starts listening; resolves with the HTTP port of the receiver / ops endpoints. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

export interface SlackFrontDoorOptions {
  deps: FrontDoorDeps;
  secrets: Secrets;
  opsRouter: Router;
  logger: Logger;
}

/**
 * The Bolt app: HTTP receiver (signature and timestamp verified by Bolt; 5 minutes at most) or
 * Socket Mode, chosen by `slack.mode`. Console mode is the HTTP receiver talking to the local
 * console adapter. The operator endpoints share the HTTP port.
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
  if (config.slack.mode === 'socket') {
    app = new App({ ...shared, appToken: secrets.appToken, socketMode: true });
  } else {
    receiver = new ExpressReceiver({
      signingSecret: secrets.signingSecret ?? '',
      endpoints: '/slack/events',
      processBeforeResponse: false,
      app: web,
      logger: shared.logger,
    });
    app = new App({ ...shared, receiver });
  }

  app.command(/.*/, async ({ command, ack }) => {
    await ack(await handleSlashCommand(deps, command));
  });

  app.action<BlockButtonAction>(CANCEL_ACTION_ID, async ({ ack, body, action, respond }) => {
    await ack();
    const by = { id: body.user.id, name: body.user.name ?? body.user.username ?? body.user.id };
    const outcome = await deps.jobs.cancel(action.value ?? '', by);
    const text =
      outcome.kind === 'cancelling' || outcome.kind === 'removed-before-start'
        ? `Cancelling \`${action.value}\` as you asked; its cleanups run and the thread shows the end.`
        : outcome.kind === 'already-finished'
          ? `\`${action.value}\` already finished (${outcome.state}); nothing to cancel.`
          : `No job \`${action.value}\`.`;
    await respond({ response_type: 'ephemeral', replace_original: false, text });
  });

  let server: Server | undefined;
  return {
    app,
    async start() {
      const listen = { port: config.http.port, host: config.http.host };
      if (receiver) {
        server = (await receiver.start(listen)) as Server;
      } else {
        await app.start();
        server = await new Promise<Server>((resolve) => {
          const s = web.listen(listen.port, listen.host, () => resolve(s));
        });
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
  };
}
