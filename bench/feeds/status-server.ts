import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { feedFixture } from '../../test/helpers/feed-server';

/**
 * The benchmark's status pages, in a process of their own (so their CPU is not counted): any
 * number of Statuspage incidents.json documents at `/<mode>/<n>.json`, where mode is
 *   etag     200 with an ETag, then 304 to a matching If-None-Match
 *   same     200 with the same body every time, no validators (the poller's hash fallback)
 *   changed  200 with a body that differs on every request (a full parse and relay each poll)
 * The document is the size of a real one (50 incidents, about 90 KB). Prints its URL on stdout.
 */
const BENCH_DOCUMENT = statuspageDocument();
const base = BENCH_DOCUMENT;
/** Like a real incidents.json: the 50 most recent incidents (copies of the fixtures' incidents). */
function statuspageDocument(): string {
  const { page, incidents } = JSON.parse(feedFixture('statuspage-incidents-4-resolved.json')) as {
    page: unknown;
    incidents: { id: string; incident_updates: { id: string }[] }[];
  };
  const fifty = Array.from({ length: 50 }, (_, i) => {
    const copy = structuredClone(incidents[i % incidents.length]!);
    copy.id = `${copy.id}${i}`;
    for (const update of copy.incident_updates) update.id = `${update.id}${i}`;
    return copy;
  });
  return JSON.stringify({ page, incidents: fifty });
}

const etag = `"${createHash('sha256').update(base).digest('hex').slice(0, 16)}"`;
let counter = 0;

const server = createServer((req, res) => {
  const mode = (req.url ?? '').split('/')[1];
  const json = { 'content-type': 'application/json; charset=utf-8' };
  if (mode === 'etag') {
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    return void res.writeHead(200, { ...json, etag }).end(base);
  }
  if (mode === 'same') return void res.writeHead(200, json).end(base);
  if (mode === 'changed') {
    counter += 1;
    const body = base.replace(
      '"updated_at":"2025-11-20T18:32:11.204Z"',
      `"updated_at":"${new Date(Date.UTC(2025, 10, 20) + counter).toISOString()}"`,
    );
    return void res.writeHead(200, json).end(body);
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `http://127.0.0.1:${(server.address() as AddressInfo).port} ${Buffer.byteLength(base)}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
