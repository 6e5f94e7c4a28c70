import type { DeliverOptions, EnvelopeType, FakeSocketMode } from './fake-socket-mode';
import { slackSignatureHeaders } from './sign-request';

/**
 * How a request in Slack's own format (a slash command's form body, or `payload=<json>` for an
 * interaction; see slack-payloads.ts) reaches the bot, as Slack sends it: a signed HTTP POST to
 * the Bolt receiver, or an envelope over the app's Socket Mode connection (through the fake
 * Slack). The console adapter, the end-to-end tests and the ack benchmark choose one by name.
 */

export type SlackTransport = 'http' | 'socket';

/** What Slack got back: the HTTP answer, or the envelope's ack (its payload as the body). */
export interface BotAnswer {
  status: number;
  /** The body; '' for an empty answer (an ack without payload). */
  text: string;
  /** From sending to the answer (HTTP: the round trip; Socket Mode: delivery to ack). */
  ms: number;
}

export type DeliverToBot = (body: string) => Promise<BotAnswer>;

/** Signed POSTs to the Bolt receiver at `url` (…/slack/events). */
export function signedHttpDelivery(url: string, signingSecret: string): DeliverToBot {
  return async (body) => {
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: slackSignatureHeaders(signingSecret, body),
      body,
    });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  };
}

/** Envelopes over the fake Slack's Socket Mode; resolves with the ack (status 200). */
export function socketModeDelivery(
  socket: FakeSocketMode,
  options: DeliverOptions = {},
): DeliverToBot {
  return async (body) => {
    const { type, payload } = socketEnvelopeFor(body);
    const ack = await socket.deliver(type, payload, options);
    const answered = ack.payload && Object.keys(ack.payload).length > 0;
    return { status: 200, text: answered ? JSON.stringify(ack.payload) : '', ms: ack.latencyMs };
  };
}

/**
 * The envelope Slack sends over Socket Mode for a request it would POST: the same fields, as
 * JSON (a slash command's form fields; an interaction's `payload`; an event's JSON body).
 */
export function socketEnvelopeFor(body: string): {
  type: EnvelopeType;
  payload: Record<string, unknown>;
} {
  // An Events API delivery (JSON, an event_callback) is the envelope's payload as it is.
  if (body.startsWith('{'))
    return { type: 'events_api', payload: JSON.parse(body) as Record<string, unknown> };
  const form = new URLSearchParams(body);
  const interaction = form.get('payload');
  if (interaction !== null) {
    return { type: 'interactive', payload: JSON.parse(interaction) as Record<string, unknown> };
  }
  return { type: 'slash_commands', payload: Object.fromEntries(form) };
}
