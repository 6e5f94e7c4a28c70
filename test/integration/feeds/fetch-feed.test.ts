import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, FeedError } from '../../../src/errors';
import { fetchFeed } from '../../../src/feeds/fetch-feed';
import { FeedServer, feedFixture } from '../../helpers/feed-server';

const OPTIONS = { validators: {}, timeoutMs: 5000, maxBytes: 1024 * 1024 };

async function failure(promise: Promise<unknown>): Promise<FeedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FeedError) return error;
    throw error;
  }
  throw new Error('expected a FeedError');
}

describe('fetchFeed against a local server', () => {
  let server: FeedServer;

  beforeEach(async () => {
    server = await new FeedServer().start();
  });
  afterEach(() => server.stop());

  it('returns the body with its validators, then 304 for a conditional GET', async () => {
    const body = feedFixture('statuspage-incidents-1-investigating.json');
    server.serve('/doc', { body, lastModified: 'Thu, 20 Nov 2025 17:04:45 GMT' });
    const first = await fetchFeed(`${server.url}/doc`, OPTIONS);
    expect(first).toMatchObject({
      status: 'ok',
      text: body,
      lastModified: 'Thu, 20 Nov 2025 17:04:45 GMT',
    });
    const etag = first.status === 'ok' ? first.etag : undefined;
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    const second = await fetchFeed(`${server.url}/doc`, {
      ...OPTIONS,
      validators: { etag: etag!, lastModified: 'Thu, 20 Nov 2025 17:04:45 GMT' },
    });
    expect(second).toEqual({ status: 'not-modified' });
    expect(server.requests[1]).toMatchObject({
      ifNoneMatch: etag,
      ifModifiedSince: 'Thu, 20 Nov 2025 17:04:45 GMT',
      status: 304,
    });
  });

  it('reports HTTP errors with their status, and Retry-After when the server gives one', async () => {
    server.serve('/limited', { status: 429, retryAfter: '120' });
    server.serve('/gone', { status: 404 });
    const limited = await failure(fetchFeed(`${server.url}/limited`, OPTIONS));
    expect(limited).toMatchObject({
      code: ErrorCode.FeedUnreachable,
      httpStatus: 429,
      retryAfterMs: 120_000,
      retryable: true,
    });
    const gone = await failure(fetchFeed(`${server.url}/gone`, OPTIONS));
    expect(gone).toMatchObject({ httpStatus: 404, retryable: false, retryAfterMs: undefined });
    expect(gone.message).toBe(`${server.url}/gone: HTTP 404`);
  });

  it('gives up on a server that does not answer in time', async () => {
    server.serve('/hang', { hang: true });
    const error = await failure(fetchFeed(`${server.url}/hang`, { ...OPTIONS, timeoutMs: 300 }));
    expect(error.code).toBe(ErrorCode.FeedUnreachable);
    expect(error.message).toMatch(/no complete answer within 300 ms/);
  });

  it('names a refused connection', async () => {
    const closed = await new FeedServer().start();
    const url = closed.url;
    await closed.stop();
    const error = await failure(fetchFeed(`${url}/x`, OPTIONS));
    expect(error.message).toBe(`${url}/x: ECONNREFUSED`);
  });

  it('aborts a body past the size cap while it streams, declared or not', async () => {
    server.serve('/endless', { stream: 50 * 1024 * 1024 });
    const error = await failure(
      fetchFeed(`${server.url}/endless`, { ...OPTIONS, maxBytes: 256 * 1024 }),
    );
    expect(error).toMatchObject({ code: ErrorCode.FeedTooLarge });
    server.serve('/big', { body: 'x'.repeat(300 * 1024) });
    expect(
      (await failure(fetchFeed(`${server.url}/big`, { ...OPTIONS, maxBytes: 256 * 1024 }))).code,
    ).toBe(ErrorCode.FeedTooLarge);
  });

  it('caps the decompressed size, so a gzip bomb is cut off', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    const gz: Server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' })
        .end(bomb);
    });
    await new Promise<void>((resolve) => gz.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gz.address() as AddressInfo).port}/`;
      const error = await failure(fetchFeed(url, { ...OPTIONS, maxBytes: 1024 * 1024 }));
      expect(error.code).toBe(ErrorCode.FeedTooLarge);
    } finally {
      gz.closeAllConnections();
      await new Promise((resolve) => gz.close(resolve));
    }
  });
});
