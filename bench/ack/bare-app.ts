import { App, ExpressReceiver } from '@slack/bolt';

/**
 * The baseline: a bare Bolt app that acks every slash command at once, doing no work. Over HTTP
 * (the same receiver as opsdeck's) it prints its port when listening; with `--socket` it is
 * Bolt's own Socket Mode receiver, connected with BENCH_APP_TOKEN to the Slack at
 * BENCH_SLACK_API_URL, and prints `connected`.
 */
const clientOptions = { slackApiUrl: process.env.BENCH_SLACK_API_URL };
const token = process.env.BENCH_BOT_TOKEN;

if (process.argv.includes('--socket')) {
  const app = new App({
    token,
    clientOptions,
    socketMode: true,
    appToken: process.env.BENCH_APP_TOKEN,
  });
  app.command(/.*/, async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: 'ok' });
  });
  void app.start().then(() => console.log('connected'));
} else {
  const receiver = new ExpressReceiver({
    signingSecret: process.env.BENCH_SIGNING_SECRET ?? '',
    endpoints: '/slack/events',
    processBeforeResponse: false,
  });
  const app = new App({ receiver, token, clientOptions });
  app.command(/.*/, async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: 'ok' });
  });
  void receiver.start({ port: 0, host: '127.0.0.1' }).then((server) => {
    const address = server.address();
    console.log(`listening on ${typeof address === 'object' && address ? address.port : '?'}`);
  });
}
