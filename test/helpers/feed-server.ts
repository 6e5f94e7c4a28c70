import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const FEED_FIXTURES = join(__dirname, '../fixtures/feeds');

export function feedFixture(name: string): string {
  return readFileSync(join(FEED_FIXTURES, name), 'utf8');
}

/**
 * What one path answers. `body` is served with a strong ETag of its hash (unless `etag: false`)
 * and answers 304 to a matching If-None-Match; `status` other than 200 sends no body (with
 * Retry-After when given); `hang` never answers; `stream` sends `bytes` of padding without a
 * Content-Length, slowly enough that a size cap must cut it.
 */
export type Route =
  | {
      body: string;
      contentType?: string;
      /** false: none; a string: this ETag whatever the body (a server that lies). */
      etag?: boolean | string;
      lastModified?: string;
      /** Answer this much later (a slow server). */
      delayMs?: number;
    }
  | { status: number; retryAfter?: string }
  | { hang: true }
  | { stream: number };

export interface RecordedRequest {
  path: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  status: number;
}

/** A status page on loopback, as the tests and the benchmark need it (node:http only). */
export class FeedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();
  private readonly inFlight = new Map<string, number>();
  private readonly peakInFlight = new Map<string, number>();
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  serve(path: string, route: Route): void {
    this.routes.set(path, route);
  }

  /** The most requests for `path` that were open at the same time. */
  maxInFlight(path: string): number {
    return this.peakInFlight.get(path) ?? 0;
  }

  /** Requests for `path` so far, and how many were answered 304. */
  count(path: string): { total: number; notModified: number } {
    const hits = this.requests.filter((r) => r.path === path);
    return { total: hits.length, notModified: hits.filter((r) => r.status === 304).length };
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const open = (this.inFlight.get(path) ?? 0) + 1;
    this.inFlight.set(path, open);
    this.peakInFlight.set(path, Math.max(open, this.peakInFlight.get(path) ?? 0));
    res.on('close', () => this.inFlight.set(path, (this.inFlight.get(path) ?? 1) - 1));
    const route = this.routes.get(path);
    if (route && 'delayMs' in route && route.delayMs) {
      const { delayMs, ...rest } = route;
      setTimeout(() => this.answer(req, res, path, rest), delayMs);
      return;
    }
    this.answer(req, res, path, route);
  }

  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    route: Route | undefined,
  ): void {
    const record = (status: number) =>
      this.requests.push({
        path,
        status,
        ...(req.headers['if-none-match'] ? { ifNoneMatch: req.headers['if-none-match'] } : {}),
        ...(req.headers['if-modified-since']
          ? { ifModifiedSince: req.headers['if-modified-since'] }
          : {}),
      });
    if (!route) {
      record(404);
      res.writeHead(404).end('not found');
      return;
    }
    if ('hang' in route) {
      record(0);
      this.hanging.add(res);
      return;
    }
    if ('stream' in route) {
      record(200);
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const timer = setInterval(() => {
        if (res.destroyed || sent >= route.stream) {
          clearInterval(timer);
          res.end();
          return;
        }
        sent += chunk.length;
        res.write(chunk);
      }, 5);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if ('status' in route) {
      record(route.status);
      res
        .writeHead(route.status, route.retryAfter ? { 'retry-after': route.retryAfter } : {})
        .end('unavailable');
      return;
    }
    const etag =
      route.etag === false
        ? undefined
        : typeof route.etag === 'string'
          ? route.etag
          : `"${createHash('sha256').update(route.body).digest('hex').slice(0, 16)}"`;
    if (etag && req.headers['if-none-match'] === etag) {
      record(304);
      res.writeHead(304, { etag }).end();
      return;
    }
    record(200);
    res
      .writeHead(200, {
        'content-type': route.contentType ?? 'application/json; charset=utf-8',
        ...(etag ? { etag } : {}),
        ...(route.lastModified ? { 'last-modified': route.lastModified } : {}),
      })
      .end(route.body);
  }
}
