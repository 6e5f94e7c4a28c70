import { LogLevel, WebClient } from '@slack/web-api';
import type { OpsdeckConfig } from '../config/schema';

/**
 * The WebClient the notify worker needs: it never retries or waits on its own (the outbox does,
 * per message and in order), surfaces 429s with their Retry-After, and times calls out.
 */
export function createNotifyClient(
  token: string,
  config: Pick<OpsdeckConfig['notify'], 'requestTimeoutMs'>,
  apiUrl?: string,
): WebClient {
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: config.requestTimeoutMs,
    logLevel: LogLevel.ERROR,
  });
}
