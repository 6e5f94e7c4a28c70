import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { registry } from '../metrics/metrics';

/** One dependency /healthz checks: resolves when healthy, rejects with the reason otherwise. */
export type HealthCheck = () => Promise<unknown>;

/**
 * A dependency on its way back rather than failing (Slack's socket reconnecting): /healthz shows
 * its message as the state (`slack: "reconnecting since …"`), not as `error: …`; still a 503.
 */
export class NotReady extends Error {}

export interface Credential {
  user: string;
  password: string;
}

export interface OpsRoutesOptions {
  checks: Record<string, HealthCheck>;
  /**
   * Queues shown on the dashboard; no dashboard without credentials. The dashboard is read-only;
   * `admin` (a separate credential) opens the one that can change jobs, at /admin/queues-admin.
   */
  dashboard?: { queues: Queue[]; user: string; password: string; admin?: Credential };
  checkTimeoutMs?: number;
}

/**
 * The operator's endpoints: /healthz (each dependency checked, 503 if any fails: which one, and
 * why only to a caller with a dashboard credential), /metrics (Prometheus), the queue dashboard
 * at /admin/queues (read-only, behind basic auth) and, with an admin credential, the dashboard
 * that can retry, remove and pause at /admin/queues-admin (behind that credential only).
 */
export function createOpsRouter(options: OpsRoutesOptions): Router {
  const router = express.Router();
  const { dashboard } = options;
  const viewers: Credential[] = dashboard
    ? [dashboard, ...(dashboard.admin ? [dashboard.admin] : [])]
    : [];
  router.get('/healthz', async (req, res) => {
    const results = await runChecks(options.checks, options.checkTimeoutMs ?? 2000);
    const healthy = Object.values(results).every((r) => r.ok);
    // The error text of a dependency (addresses, versions, account names) is for operators.
    const detailed = viewers.some((credential) => authenticated(req, credential));
    const checks = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        r.ok ? 'ok' : r.state !== undefined ? r.state : detailed ? `error: ${r.error}` : 'failed',
      ]),
    );
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unhealthy', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  if (dashboard) {
    router.use(
      '/admin/queues',
      basicAuth(viewers, 'opsdeck queues'),
      readOnlyRequests,
      board('/admin/queues', dashboard.queues, true),
    );
    if (dashboard.admin) {
      router.use(
        '/admin/queues-admin',
        basicAuth([dashboard.admin], 'opsdeck queues admin'),
        board('/admin/queues-admin', dashboard.queues, false),
      );
    }
  }
  return router;
}

function board(basePath: string, queues: Queue[], readOnlyMode: boolean): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
    serverAdapter: adapter,
  });
  return adapter.getRouter() as Router;
}

/** The read-only dashboard answers reads only, whatever bull-board's own check says. */
const readOnlyRequests: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  res
    .status(405)
    .json({ error: 'the dashboard is read-only; changing jobs needs the admin credential' });
};

interface CheckResult {
  ok: boolean;
  /** A dependency on its way back: its state, in opsdeck's words. */
  state?: string;
  /** Why it failed, in the dependency's words: shown to authenticated callers only. */
  error?: string;
}

async function runChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs: number,
): Promise<Record<string, CheckResult>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { ok: true }];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [
          name,
          error instanceof NotReady ? { ok: false, state: message } : { ok: false, error: message },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

function authenticated(req: Request, credential: Credential): boolean {
  const expected = Buffer.from(`${credential.user}:${credential.password}`);
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Basic ')
    ? Buffer.from(header.slice(6), 'base64')
    : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function basicAuth(credentials: Credential[], realm: string): RequestHandler {
  return (req, res, next) => {
    if (credentials.some((credential) => authenticated(req, credential))) return next();
    res
      .set('WWW-Authenticate', `Basic realm="${realm}"`)
      .status(401)
      .send('authentication required');
  };
}
