import { SocketModeClient, type Logger, type SocketModeOptions } from '@slack/socket-mode';
import type { RawData } from 'ws';

/**
 * One Socket Mode connection: @slack/socket-mode's client (apps.connections.open, the
 * WebSocket, hello, pings, envelopes and acks) without its reconnect logic, so that the receiver
 * decides when to connect anew. The one change: a `disconnect` message from Slack is reported as
 * `disconnect_requested` (with its reason) instead of closing the socket at once, so the receiver
 * can open the next connection first and let this one finish what it was sent.
 */
export class SocketConnection extends SocketModeClient {
  private static nextId = 1;
  readonly id = SocketConnection.nextId++;
  /** Envelopes received on this connection and not acknowledged yet. */
  unacked = 0;

  constructor(options: Omit<SocketModeOptions, 'autoReconnectEnabled'>) {
    super({
      ...options,
      ...(options.logger && { logger: withoutEnvelopes(options.logger) }),
      autoReconnectEnabled: false,
    });
  }

  protected override async onWebSocketMessage(data: RawData, isBinary: boolean): Promise<void> {
    const reason = isBinary ? undefined : disconnectReason(data.toString());
    if (reason !== undefined) {
      this.emit('disconnect_requested', reason);
      return;
    }
    return super.onWebSocketMessage(data, isBinary);
  }
}

/** The reason of a `disconnect` message (`warning`, `refresh_requested`, `link_disabled`). */
function disconnectReason(text: string): string | undefined {
  if (!text.includes('disconnect')) return undefined;
  try {
    const message = JSON.parse(text) as { type?: unknown; reason?: unknown };
    return message.type === 'disconnect' ? String(message.reason ?? '') : undefined;
  } catch {
    return undefined;
  }
}

/** The client's debug lines that carry whole messages: prefix, and where the message starts. */
const MESSAGE_LINES = [
  'Received a message on the WebSocket: ',
  'Unable to parse an incoming WebSocket message',
  'Sending a WebSocket message: ',
  'Calling ack() - ',
];

/**
 * The client logs every message it receives or sends at debug level: envelopes carry what users
 * typed and each request's response_url (which lets anyone answer in that channel for 30
 * minutes). Those lines keep only what they are about.
 */
export function withoutEnvelopes(logger: Logger): Logger {
  return {
    debug: (...msg: unknown[]) => {
      const text = msg.map(String).join(' ');
      const line = MESSAGE_LINES.find((prefix) => text.startsWith(prefix));
      logger.debug(line === undefined ? text : `${line.trim()} (contents not logged)`);
    },
    info: (...msg: unknown[]) => logger.info(...msg),
    warn: (...msg: unknown[]) => logger.warn(...msg),
    error: (...msg: unknown[]) => logger.error(...msg),
    setLevel: (level) => logger.setLevel(level),
    getLevel: () => logger.getLevel(),
    setName: (name) => logger.setName(name),
  };
}
