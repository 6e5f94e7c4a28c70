import { ErrorCode } from '@slack/web-api';
import { classifySlackError } from '../../../src/notify/slack-error';

const coded = (code: string, extra: object) => Object.assign(new Error(code), { code }, extra);

describe('classifySlackError', () => {
  it('turns a 429 into a wait of exactly Retry-After', () => {
    expect(classifySlackError(coded(ErrorCode.RateLimitedError, { retryAfter: 7 }))).toEqual({
      kind: 'rate-limited',
      retryAfterMs: 7000,
      reason: 'ratelimited',
    });
  });

  it.each([
    [coded(ErrorCode.RequestError, { original: new Error('ETIMEDOUT') }), 'request_error'],
    [coded(ErrorCode.HTTPError, { statusCode: 500 }), 'http_500'],
    [coded(ErrorCode.HTTPError, { statusCode: 503 }), 'http_503'],
    [coded(ErrorCode.HTTPError, { statusCode: 429 }), 'http_429'],
    [
      coded(ErrorCode.PlatformError, { data: { ok: false, error: 'internal_error' } }),
      'internal_error',
    ],
    [new Error('A rate limit was exceeded without a Retry-After'), 'unexpected_error'],
  ])('retries what is not a real answer from Slack (%#: %s)', (error, reason) => {
    expect(classifySlackError(error)).toEqual({ kind: 'transient', reason });
  });

  it.each(['channel_not_found', 'invalid_blocks', 'msg_too_long', 'not_in_channel'])(
    'drops a message Slack refused: %s',
    (error) => {
      expect(
        classifySlackError(coded(ErrorCode.PlatformError, { data: { ok: false, error } })),
      ).toEqual({
        kind: 'permanent',
        reason: error,
      });
    },
  );

  it('drops a message Slack rejected at the HTTP level', () => {
    expect(classifySlackError(coded(ErrorCode.HTTPError, { statusCode: 413 }))).toEqual({
      kind: 'permanent',
      reason: 'http_413',
    });
  });
});
