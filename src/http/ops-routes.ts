import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type RequestHandler, type Router } from 'express';
import { registry } from '../metrics/metrics';

/** One dependency /healthz checks: resolves when healthy, rejects with the reason otherwise. */
export type HealthCheck = () => Promise<unknown>;

/**
 * A dependency on its way back rather than failing (Slack's socket reconnecting): /healthz shows
 * its message as the state (`slack: "reconnecting since …"`), not as `error: …`; still a 503.
 */
export class NotReady extends Error {}

export interface OpsRoutesOptions {
  checks: Record<string, HealthCheck>;
  /** Queues shown on the dashboard; no dashboard without credentials. */
  dashboard?: { queues: Queue[]; user: string; password: string };
  checkTimeoutMs?: number;
}

/**
 * The operator's endpoints: /healthz (each dependency checked, 503 if any fails), /metrics
 * (Prometheus) and the queue dashboard at /admin/queues behind basic auth.
 */
export function createOpsRouter(options: OpsRoutesOptions): Router {
  const router = express.Router();
  router.get('/healthz', async (_req, res) => {
    const results = await runChecks(options.checks, options.checkTimeoutMs ?? 2000);
    const healthy = Object.values(results).every((r) => r === 'ok');
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unhealthy', checks: results });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  if (options.dashboard) {
    const adapter = new ExpressAdapter();
    adapter.setBasePath('/admin/queues');
    createBullBoard({
      queues: options.dashboard.queues.map((queue) => new BullMQAdapter(queue)),
      serverAdapter: adapter,
    });
    router.use(
      '/admin/queues',
      basicAuth(options.dashboard.user, options.dashboard.password),
      adapter.getRouter(),
    );
  }
  return router;
}

async function runChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (error) {
        const { message } = error as Error;
        return [name, error instanceof NotReady ? message : `error: ${message}`] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

function basicAuth(user: string, password: string): RequestHandler {
  const expected = Buffer.from(`${user}:${password}`);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64')
      : Buffer.alloc(0);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    res
      .set('WWW-Authenticate', 'Basic realm="opsdeck queues"')
      .status(401)
      .send('authentication required');
  };
}
