import { createServer } from 'node:net';
import { AUDIT_DOWN_MESSAGE } from '../../src/audit/audit-writer';
import { E2eStack } from '../helpers/e2e-stack';
import { MYSQL, LOCAL_MYSQL_TLS } from '../helpers/services';
import { jobMeta } from '../fixtures/job-meta';
import { answerText } from '../helpers/slack-text';

/**
 * Fail closed: the audit database is unreachable (a closed port) from the start. The bot still
 * starts and answers; read-only commands work, changing ones are refused with a clear message
 * and nothing is enqueued or cancelled; the refused requests wait in the spool, not lost.
 */

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('with the audit database unreachable', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    const port = await closedPort();
    stack = await new E2eStack({
      mysql: {
        host: MYSQL.host,
        port,
        user: MYSQL.user,
        database: 'unreachable',
        tls: LOCAL_MYSQL_TLS,
      },
      audit: { connectTimeoutMs: 500, queryTimeoutMs: 500 },
    }).start();
  });
  afterAll(() => stack.stop());

  it('keeps read-only commands working', async () => {
    expect(answerText(await stack.slash('help'))).toContain('/ops ping');
    expect(answerText(await stack.slash('jobs'))).toContain('No jobs yet');
    // A command on a job the queue does not hold cannot learn the job's target: refused.
    expect(answerText(await stack.slash('audit ping-0123456789'))).toContain(
      'cannot tell what job ping-0123456789 acts on: it is not in the queue and the audit trail cannot be read',
    );
  });

  it('refuses changing commands with a clear message, quickly, and changes nothing', async () => {
    const ping = await stack.slash('ping --ticks 1');
    expect(answerText(ping)).toBe(`:lock: ${AUDIT_DOWN_MESSAGE}`);
    expect(ping.ms).toBeLessThan(3000);
    const waiting = await stack.runtime.jobs.enqueue({
      meta: jobMeta({ jobId: 'ping-00000000aa', summary: 'queued before the outage' }),
      input: { ticks: 1, tickMs: 0 },
    });
    expect(answerText(await stack.slash(`cancel ${waiting.job.id}`))).toBe(
      `:lock: ${AUDIT_DOWN_MESSAGE}`,
    );
    expect(await waiting.job.getState()).toBe('waiting');
    expect(await stack.runtime.opsQueue.count()).toBe(1);
  });

  it('keeps the refused requests in the spool for when the store is back', async () => {
    expect(await stack.runtime.auditWriter.spoolDepth()).toBeGreaterThanOrEqual(4);
    const spooled = await stack.redis.lrange(`${stack.prefix}:audit:spool`, 0, -1);
    // Each entry is the event with its MAC (a spool entry without a valid one is never written).
    const events = spooled.map(
      (raw) => (JSON.parse(raw) as { event: { type: string; command: string } }).event,
    );
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'requested', command: 'ops ping' }),
        expect.objectContaining({ type: 'denied', command: 'ops ping' }),
        expect.objectContaining({ type: 'requested', command: 'ops cancel' }),
      ]),
    );
  });
});
