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
        dashboard: {
          queues: [queue],
          user: 'ops',
          password: 'correct horse battery',
          admin: { user: 'opsadmin', password: 'staple battery horse correct' },
        },
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

  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const viewer = basic('ops', 'correct horse battery');
  const admin = basic('opsadmin', 'staple battery horse correct');

  it('/healthz names each dependency, 503 when one fails or hangs; the error text only to an operator', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unhealthy',
      checks: { redis: 'ok', mysql: 'ok', slack: 'failed' },
    });
    mysqlHealthy = false;
    try {
      const anonymous = await (await fetch(`${base}/healthz`)).text();
      expect(JSON.parse(anonymous)).toEqual({
        status: 'unhealthy',
        checks: { redis: 'ok', mysql: 'failed', slack: 'failed' },
      });
      expect(anonymous).not.toContain('ECONNREFUSED');
      expect(anonymous).not.toContain('3307');
      // A wrong credential is anonymous.
      const guessed = await fetch(`${base}/healthz`, { headers: basic('ops', 'guess') });
      expect(await guessed.text()).not.toContain('ECONNREFUSED');
      for (const headers of [viewer, admin]) {
        const body = (await (await fetch(`${base}/healthz`, { headers })).json()) as {
          checks: Record<string, string>;
        };
        expect(body.checks).toEqual({
          redis: 'ok',
          mysql: 'error: connect ECONNREFUSED 127.0.0.1:3307',
          slack: 'error: no answer in 200 ms',
        });
      }
    } finally {
      mysqlHealthy = true;
    }
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

  it('keeps the dashboard behind basic auth, and read-only', async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues`, { headers: basic('ops', 'guess') })).status).toBe(
      401,
    );
    const res = await fetch(`${base}/admin/queues/api/queues`, { headers: viewer });
    expect(res.status).toBe(200);
    const listed = (await res.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(listed.queues).toEqual([expect.objectContaining({ name: 'ops', readOnlyMode: true })]);
    // Nothing that changes a job gets through the read-only dashboard, whatever the credential.
    for (const headers of [viewer, admin]) {
      for (const [method, path] of [
        ['PUT', '/api/queues/ops/pause'],
        ['PUT', '/api/queues/pause'],
        ['PUT', '/api/queues/ops/ping-0000000001/retry/failed'],
        ['DELETE', '/api/queues/ops/ping-0000000001'],
        ['PUT', '/api/queues/ops/empty'],
        ['POST', '/api/queues/ops/add'],
      ] as const) {
        const refused = await fetch(`${base}/admin/queues${path}`, { method, headers });
        expect([method, path, refused.status]).toEqual([method, path, 405]);
      }
    }
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getJob('ping-0000000001')).toBeDefined();
  });

  it('opens the dashboard that changes jobs to the admin credential only', async () => {
    expect((await fetch(`${base}/admin/queues-admin/api/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues-admin/api/queues`, { headers: viewer })).status).toBe(
      401,
    );
    const listed = await fetch(`${base}/admin/queues-admin/api/queues`, { headers: admin });
    expect(listed.status).toBe(200);
    const paused = await fetch(`${base}/admin/queues-admin/api/queues/ops/pause`, {
      method: 'PUT',
      headers: admin,
    });
    expect(paused.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    await queue.resume();
  });

  it('has no admin dashboard without an admin credential', async () => {
    const app = express();
    app.use(
      createOpsRouter({
        checks: {},
        dashboard: { queues: [queue], user: 'ops', password: 'correct horse battery' },
      }),
    );
    const alone = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(alone.address() as AddressInfo).port}`;
      expect(
        (await fetch(`${url}/admin/queues-admin/api/queues`, { headers: viewer })).status,
      ).toBe(404);
      expect(
        (
          await fetch(`${url}/admin/queues/api/queues/ops/pause`, {
            method: 'PUT',
            headers: viewer,
          })
        ).status,
      ).toBe(405);
    } finally {
      alone.close();
    }
  });
});
