import type { RequestHandler } from 'express';
import type { Logger } from '../log/logger';

/** Slack's rule: a request whose timestamp is more than five minutes from local time, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/**
 * Refuses (401) a signed request whose `X-Slack-Request-Timestamp` is more than five minutes in
 * the future, before Bolt's check, which refuses only those more than five minutes old: a
 * request signed for a later time (a captured signature, a skewed signer) could otherwise be
 * replayed until that time plus five minutes. Reads only the header, never the body (Bolt reads
 * the raw body to check the signature); a missing or unreadable timestamp is left to Bolt, which
 * refuses it.
 */
export function refuseFutureTimestamps(
  logger: Logger,
  now: () => number = Date.now,
): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['x-slack-request-timestamp'];
    const seconds = typeof header === 'string' && /^\d{1,12}$/.test(header) ? Number(header) : NaN;
    const ahead = seconds - Math.floor(now() / 1000);
    if (ahead > MAX_CLOCK_SKEW_SECONDS) {
      logger.warn(
        { aheadSeconds: ahead },
        'Slack request refused: its timestamp is more than five minutes in the future',
      );
      res.status(401).send();
      return;
    }
    next();
  };
}
