import { App, ExpressReceiver } from '@slack/bolt';

/**
 * The baseline: a bare Bolt app on the same receiver that acks every slash command at once,
 * doing no work. Prints its port when listening.
 */
const receiver = new ExpressReceiver({
  signingSecret: process.env.BENCH_SIGNING_SECRET ?? '',
  endpoints: '/slack/events',
  processBeforeResponse: false,
});
const app = new App({
  receiver,
  token: process.env.BENCH_BOT_TOKEN,
  clientOptions: { slackApiUrl: process.env.BENCH_SLACK_API_URL },
});
app.command(/.*/, async ({ ack }) => {
  await ack({ response_type: 'ephemeral', text: 'ok' });
});
void receiver.start({ port: 0, host: '127.0.0.1' }).then((server) => {
  const address = server.address();
  console.log(`listening on ${typeof address === 'object' && address ? address.port : '?'}`);
});
