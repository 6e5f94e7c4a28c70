import { TextDecoder } from 'node:util';
import { ErrorCode, FeedError } from '../errors';
import { conditionalHeaders, type Validators } from './conditional-get';

export type FetchResult =
  { status: 'not-modified' } | { status: 'ok'; text: string; etag?: string; lastModified?: string };

export interface FetchOptions {
  validators: Validators;
  /** The whole request: connect, headers and body. */
  timeoutMs: number;
  /** Decoded bytes (after gzip): past this the download is aborted. */
  maxBytes: number;
  /** Aborts the request (worker shutdown). */
  signal?: AbortSignal;
}

const HEADERS = {
  'user-agent': 'opsdeck-status-relay (+https://github.com/opsdeck)',
  accept:
    'application/json, application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5',
};

/** Retry-After is honoured up to a day; longer is treated as a day. */
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/**
 * One conditional GET of a feed document. 304 is `not-modified`; a 2xx body is read as a stream
 * and abandoned the moment it passes `maxBytes`; anything else throws a FeedError: unreachable
 * (network, timeout, HTTP status, with Retry-After when the server gave one) or too large.
 */
export async function fetchFeed(url: string, options: FetchOptions): Promise<FetchResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const fail = (error: unknown): never => {
    if (error instanceof FeedError) throw error;
    const why = timeout.aborted
      ? `no complete answer within ${options.timeoutMs} ms`
      : describeNetworkError(error);
    throw new FeedError(ErrorCode.FeedUnreachable, `${url}: ${why}`, {
      cause: error,
      retryable: true,
    });
  };
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { ...HEADERS, ...conditionalHeaders(options.validators) },
      redirect: 'follow',
      signal,
    });
  } catch (error) {
    return fail(error);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: 'not-modified' };
  }
  if (response.status < 200 || response.status > 299) {
    await response.body?.cancel();
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    throw new FeedError(ErrorCode.FeedUnreachable, `${url}: HTTP ${response.status}`, {
      httpStatus: response.status,
      retryable: response.status === 429 || response.status >= 500,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, options.maxBytes);
  }
  let text: string;
  try {
    text = await readCapped(response, url, options.maxBytes);
  } catch (error) {
    return fail(error);
  }
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  return {
    status: 'ok',
    text,
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
  };
}

async function readCapped(response: Response, url: string, maxBytes: number): Promise<string> {
  const decoder = decoderFor(response.headers.get('content-type'));
  if (!response.body) return '';
  const reader = response.body.getReader();
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw tooLarge(url, maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** The charset the server names, when Node knows it; else UTF-8 (feeds' default). */
function decoderFor(contentType: string | null): TextDecoder {
  const charset = /charset="?([\w-]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8');
  } catch {
    return new TextDecoder('utf-8');
  }
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

function tooLarge(url: string, maxBytes: number): FeedError {
  return new FeedError(ErrorCode.FeedTooLarge, `${url}: response larger than ${maxBytes} bytes`);
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in the cause. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
