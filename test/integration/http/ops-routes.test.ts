import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express from 'express';
import { NotReady, createOpsRouter } from '../../../src/http/ops-routes';
import { registerQueueGauges } from '../../../src/queue/queue-gauges';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

describe('operator endpoints', () => {
  const redis = connectRedis();
  const prefix = uniqueName('http');
  const queue = new Queue('ops', { connection: redis, prefix });
  let server: Server;
  let base: string;
  let mysqlHealthy = true;
  let slackCheck: () => Promise<unknown> = () => new Promise(() => undefined); // never answers

  beforeAll(async () => {
    registerQueueGauges([queue]);
    await queue.add('ping', {}, { jobId: 'ping-0000000001' });
    const app = express();
    app.use(
      createOpsRouter({
        checks: {
          redis: () => redis.ping(),
          mysql: async () => {
            if (!mysqlHealthy) throw new Error('connect ECONNREFUSED 127.0.0.1:3307');
          },
          slack: () => slackCheck(),
        },
        checkTimeoutMs: 200,
        dashboard: { queues: [queue], user: 'ops', password: 'correct horse battery' },
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await queue.close();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  });

  it('/healthz names each dependency, 503 when one fails or hangs', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unhealthy',
      checks: { redis: 'ok', mysql: 'ok', slack: 'error: no answer in 200 ms' },
    });
    mysqlHealthy = false;
    const body = (await (await fetch(`${base}/healthz`)).json()) as {
      checks: Record<string, string>;
    };
    expect(body.checks.mysql).toBe('error: connect ECONNREFUSED 127.0.0.1:3307');
  });

  it('/healthz shows a dependency on its way back by its state, not as an error, still 503', async () => {
    slackCheck = () => Promise.reject(new NotReady('reconnecting since 12:00:00Z'));
    try {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(body.checks.slack).toBe('reconnecting since 12:00:00Z');
    } finally {
      slackCheck = () => new Promise(() => undefined);
    }
  });

  it('/metrics serves Prometheus text with job counts by queue and state', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('opsdeck_jobs{queue="ops",state="waiting"} 1');
    expect(text).toContain('# TYPE opsdeck_step_duration_seconds histogram');
    expect(text).toContain('# TYPE opsdeck_slack_api_errors_total counter');
  });

  it('keeps the dashboard behind basic auth', async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    const wrong = Buffer.from('ops:guess').toString('base64');
    expect(
      (await fetch(`${base}/admin/queues`, { headers: { authorization: `Basic ${wrong}` } }))
        .status,
    ).toBe(401);
    const right = Buffer.from('ops:correct horse battery').toString('base64');
    const res = await fetch(`${base}/admin/queues/api/queues`, {
      headers: { authorization: `Basic ${right}` },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain('ops');
  });
});
