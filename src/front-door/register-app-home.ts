import type { App, BlockButtonAction, RespondArguments, RespondFn } from '@slack/bolt';
import type { HomePublisher } from '../home/home-publisher';
import { storedMrkdwn } from '../slack/mrkdwn';

/**
 * The Home tab in the front door: `app_home_opened` publishes the user's Home; every other
 * request handled (a command, a click: it may have queued, cancelled, locked, approved) tells the
 * publisher that something may have changed. Job state changes in workers reach it through
 * BullMQ's events (src/app/app-home.ts).
 */
export function registerAppHome(app: App, home: HomePublisher): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') home.opened(event.user);
  });
  app.use(async ({ body, next }) => {
    await next();
    if ((body as { type?: string }).type !== 'event_callback') home.changed();
  });
}

/**
 * Answers a button's clicker: through the click's response_url, or, for a button in the Home tab
 * (which has none), on top of the clicker's Home tab. `answer.text` is rendered and redacted.
 */
export async function answerClicker(
  home: HomePublisher | undefined,
  click: { body: BlockButtonAction; respond: RespondFn | undefined },
  answer: RespondArguments & { text: string },
): Promise<void> {
  if (click.body.response_url === undefined && click.body.view?.type === 'home') {
    home?.notice(click.body.user.id, storedMrkdwn(answer.text));
    return;
  }
  await click.respond?.(answer);
}
