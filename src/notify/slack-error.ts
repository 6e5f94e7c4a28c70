import { ErrorCode as SlackErrorCode } from '@slack/web-api';

/**
 * What a failed Slack Web API call means for the message that caused it:
 * - rate-limited: wait exactly Retry-After, then send it again;
 * - transient: Slack did not really answer (network, timeout, 5xx, Slack-side errors), retry;
 * - permanent: Slack answered and refused this message (channel_not_found, invalid_blocks, ...);
 *   sending it again cannot help, so it is dropped.
 * `reason` is a short label for logs and metrics.
 */
export type SlackFailure =
  | { kind: 'rate-limited'; retryAfterMs: number; reason: 'ratelimited' }
  | { kind: 'transient'; reason: string }
  | { kind: 'permanent'; reason: string };

/** Platform errors (HTTP 200, ok: false) that report trouble on Slack's side, not in the call. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** HTTP statuses other than 5xx worth retrying (429 only arrives here without Retry-After). */
const TRANSIENT_HTTP_STATUSES = new Set([408, 425, 429]);

export function classifySlackError(error: unknown): SlackFailure {
  const e = error as {
    code?: unknown;
    retryAfter?: unknown;
    statusCode?: unknown;
    data?: { error?: unknown };
  };
  switch (e?.code) {
    case SlackErrorCode.RateLimitedError:
      return {
        kind: 'rate-limited',
        retryAfterMs: Number(e.retryAfter) * 1000,
        reason: 'ratelimited',
      };
    case SlackErrorCode.RequestError:
      return { kind: 'transient', reason: 'request_error' };
    case SlackErrorCode.HTTPError: {
      const status = Number(e.statusCode);
      const reason = `http_${status}`;
      return status >= 500 || TRANSIENT_HTTP_STATUSES.has(status)
        ? { kind: 'transient', reason }
        : { kind: 'permanent', reason };
    }
    case SlackErrorCode.PlatformError: {
      const reason = String(e.data?.error ?? 'unknown_error');
      return TRANSIENT_PLATFORM_ERRORS.has(reason)
        ? { kind: 'transient', reason }
        : { kind: 'permanent', reason };
    }
    default:
      // Not an answer from Slack (e.g. a 429 without a usable Retry-After): try again.
      return { kind: 'transient', reason: 'unexpected_error' };
  }
}
