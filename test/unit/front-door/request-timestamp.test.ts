import pino from 'pino';
import type { Request, Response } from 'express';
import { refuseFutureTimestamps } from '../../../src/front-door/request-timestamp';

/** The middleware alone, at a fixed clock: which timestamps pass to Bolt, which are refused. */
describe('refuseFutureTimestamps', () => {
  const NOW = 1_763_740_800_000;
  const check = (timestamp: string | undefined): number | 'next' => {
    let status: number | 'next' = 'next';
    const res = {
      status(code: number) {
        status = code;
        return { send: () => undefined };
      },
    } as unknown as Response;
    const req = {
      headers: timestamp === undefined ? {} : { 'x-slack-request-timestamp': timestamp },
    } as unknown as Request;
    refuseFutureTimestamps(pino({ level: 'silent' }), () => NOW)(req, res, () => undefined);
    return status;
  };
  const at = (offsetSeconds: number) => String(NOW / 1000 + offsetSeconds);

  it('refuses more than five minutes ahead with 401', () => {
    expect(check(at(301))).toBe(401);
    expect(check(at(6 * 60))).toBe(401);
    expect(check(at(10 * 365 * 24 * 3600))).toBe(401);
  });

  it('passes up to five minutes ahead, the past (Bolt refuses old ones) and what Bolt must refuse', () => {
    expect(check(at(300))).toBe('next');
    expect(check(at(0))).toBe('next');
    expect(check(at(-6 * 60))).toBe('next');
    expect(check(undefined)).toBe('next');
    expect(check('soon')).toBe('next');
  });
});
