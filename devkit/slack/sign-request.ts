import { createHmac } from 'node:crypto';

/**
 * Signs a request body exactly as Slack does (v0 signing: HMAC-SHA256 over
 * `v0:<timestamp>:<raw body>` with the app's signing secret). The console adapter, the tests
 * and the ack benchmark use it to talk to the real Bolt receiver.
 */
export function slackSignatureHeaders(
  signingSecret: string,
  body: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', signingSecret)
    .update(`v0:${timestampSeconds}:${body}`)
    .digest('hex');
  return {
    // Events API deliveries are JSON; slash commands and interactions are form-encoded.
    'content-type': body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestampSeconds),
    'x-slack-signature': `v0=${signature}`,
  };
}
