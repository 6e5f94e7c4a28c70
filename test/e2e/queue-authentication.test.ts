import { DEFAULT_REDIS_URL } from '../../src/config/schema';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import type { AuditRow } from '../../src/audit/audit-event';
import type { JobEnvelope } from '../../src/runbook/job-envelope';
import { plannedDigests } from '../../src/runbook/plan-digest';
import pingRunbook from '../../jobs/ping';
import {
  ALERT_CHANNEL,
  ALICE,
  BOB,
  CAROL,
  E2eStack,
  OPS_CHANNEL,
  waitFor,
} from '../helpers/e2e-stack';

/**
 * Queued work is authenticated (issue 17 point 7), end to end: the real bot signs what it writes
 * to Redis, a real worker process checks it. Whoever can write to Redis but does not hold the
 * key (`queue.signingKeyEnv`) plays the attacker here, with redis-cli and plain Redis commands:
 * a job added without a MAC or edited after it was signed, an approval forged or edited, a
 * mid-run decision or a cancel request written by hand. Each is refused, audited, and runs
 * nothing; the same work written by opsdeck runs (the controls).
 */

const ACCESS = {
  admins: 'approvers',
  groups: {
    operators: { users: [ALICE.id, BOB.id] },
    approvers: { users: [ALICE.id, BOB.id, CAROL.id] },
  },
  rules: [
    {
      command: 'ops ping',
      groups: ['operators'],
      approval: { group: 'approvers', distinct: true },
    },
    { command: 'ops *', readOnly: true, groups: ['operators'] },
  ],
};

const run = promisify(execFile);

/** A record read back from Redis to be edited by hand (its shape is whatever was stored). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edited as an attacker would, untyped
type Tampered = Record<string, any>;

describe('queued work is authenticated', () => {
  let stack: E2eStack;
  const text = (res: { body: unknown }) => (res.body as { text: string }).text;
  let since: number;

  beforeAll(async () => {
    stack = await new E2eStack({ access: ACCESS }, { approvalSweepMs: 200 }).start();
    await stack.startWorker();
    since = Date.now() - 1000;
  });
  afterAll(() => stack.stop());

  /** redis-cli against the stack's Redis, as someone with access to it but not the key would. */
  async function redisCli(...args: string[]): Promise<string> {
    const { port } = new URL(stack.config.redis.url ?? DEFAULT_REDIS_URL);
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', port, ...args]);
    return stdout.trim();
  }

  function jobKey(jobId: string): string {
    return `${stack.prefix}:ops:${jobId}`;
  }

  /** A ping job's envelope as the front door builds one (the bot would sign it on enqueue). */
  function pingEnvelope(input: { ticks: number; tickMs: number; approveMidway?: boolean }) {
    const jobId = `ping-${randomBytes(5).toString('hex')}`;
    const full = { approveMidway: false, ...input };
    return {
      meta: {
        jobId,
        command: `/ops ping --ticks ${input.ticks}`,
        commandName: 'ops ping',
        runbook: 'ping',
        summary: 'self-test',
        actor: ALICE,
        channel: OPS_CHANNEL,
        requestedAt: new Date().toISOString(),
        approvedBy: BOB,
        // What the approved plan was made from, as the front door records it.
        planned: plannedDigests(pingRunbook, full),
        correlationId: randomBytes(8).toString('hex'),
      },
      input: full,
    } satisfies JobEnvelope;
  }

  async function ended(jobId: string, timeoutMs = 20_000) {
    await waitFor(
      async () => (await stack.runtime.jobs.get(jobId))?.finishedOn,
      timeoutMs,
      `job ${jobId} to end`,
    );
    const job = (await stack.runtime.jobs.get(jobId))!;
    return { state: await job.getState(), reason: job.failedReason, data: job.data };
  }

  async function refusedRows(): Promise<AuditRow[]> {
    return (await stack.runtime.auditStore.query({ since })).filter((r) => r.type === 'refused');
  }

  async function refusedRow(match: (row: AuditRow) => boolean, what: string): Promise<AuditRow> {
    return waitFor(async () => (await refusedRows()).find(match), 10_000, what);
  }

  /** Nothing of a ping job ran: no checkpoint, no throwaway key, no audit row but `refused`. */
  async function expectNothingRan(jobId: string, data: { checkpoint?: unknown }): Promise<void> {
    expect(data.checkpoint).toBeUndefined();
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(0);
    const rows = await waitFor(
      async () => {
        const found = await stack.runtime.auditStore.jobEvents(jobId);
        return found.length > 0 ? found : null;
      },
      10_000,
      `job ${jobId}'s refusal in the trail`,
    );
    expect(rows.map((r) => r.type)).toEqual(['refused']);
    expect(stack.thread(jobId).replies).toEqual([]);
  }

  it('refuses a job added to the queue without a MAC: audited, announced, nothing runs', async () => {
    const envelope = pingEnvelope({ ticks: 20, tickMs: 500 });
    const { jobId } = envelope.meta;
    // What anyone with Redis (or a queue dashboard) can do: add a job of the right shape.
    await stack.runtime.opsQueue.add('ping', envelope, { jobId });
    const outcome = await ended(jobId);
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toBe(
      'refused: the job is not as opsdeck queued it: it carries no MAC (OPSDECK_WORK_UNAUTHENTICATED)',
    );
    await expectNothingRan(jobId, outcome.data);
    const [row] = await stack.runtime.auditStore.jobEvents(jobId);
    // The job's claims are kept as claims, never as the row's actor.
    expect(row!.actorId).toBeNull();
    expect(JSON.parse(row!.detailJson!)).toMatchObject({
      kind: 'job',
      claimed: { runbook: 'ping', actor: ALICE },
    });
    const alert = await waitFor(
      () =>
        stack.slack
          .messages(ALERT_CHANNEL)
          .find((m) => m.text.includes(`Refused job \`${jobId}\``)),
      10_000,
      'the refusal in the alert channel',
    );
    expect(alert.text).toContain('Nothing of it ran');
  });

  it('refuses a job whose MAC was copied from another job (replayed under a new id)', async () => {
    const signed = pingEnvelope({ ticks: 1, tickMs: 0 });
    await stack.runtime.opsQueue.pause();
    try {
      await stack.runtime.jobs.enqueue(signed);
      const data = JSON.parse(await redisCli('HGET', jobKey(signed.meta.jobId), 'data')) as {
        meta: JobEnvelope['meta'];
      };
      const copyId = pingEnvelope({ ticks: 1, tickMs: 0 }).meta.jobId;
      // Everything of the signed job, its MAC included, under another id.
      await stack.runtime.opsQueue.add(
        'ping',
        { ...data, meta: { ...data.meta, jobId: copyId } } as JobEnvelope,
        { jobId: copyId },
      );
      await stack.runtime.opsQueue.resume();
      const outcome = await ended(copyId);
      expect(outcome.reason).toContain(
        'its MAC does not match its content (forged, or changed after it was written)',
      );
      await expectNothingRan(copyId, outcome.data);
      // The original, as opsdeck queued it, runs.
      expect((await ended(signed.meta.jobId)).state).toBe('completed');
    } finally {
      await stack.runtime.opsQueue.resume();
    }
  });

  it.each([
    ['target', (d: Tampered) => ({ ...d, meta: { ...d.meta, target: 'billing' } })],
    ['input', (d: Tampered) => ({ ...d, input: { ...d.input, ticks: 60 } })],
    ['approver', (d: Tampered) => ({ ...d, meta: { ...d.meta, approvedBy: CAROL } })],
    ['signing time', (d: Tampered) => ({ ...d, signedAt: Number(d.signedAt) + 1 })],
  ])(
    'refuses a queued job whose %s was changed in Redis after it was signed (redis-cli HSET)',
    async (_what, edit) => {
      await stack.runtime.opsQueue.pause();
      try {
        const tampered = pingEnvelope({ ticks: 3, tickMs: 100 });
        const control = pingEnvelope({ ticks: 1, tickMs: 0 });
        await stack.runtime.jobs.enqueue(tampered);
        await stack.runtime.jobs.enqueue(control);
        const key = jobKey(tampered.meta.jobId);
        const data = JSON.parse(await redisCli('HGET', key, 'data')) as Tampered;
        await redisCli('HSET', key, 'data', JSON.stringify(edit(data)));
        await stack.runtime.opsQueue.resume();

        const outcome = await ended(tampered.meta.jobId);
        expect(outcome.state).toBe('failed');
        expect(outcome.reason).toContain('its MAC does not match its content');
        await expectNothingRan(tampered.meta.jobId, outcome.data);
        expect((await ended(control.meta.jobId)).state).toBe('completed');
      } finally {
        await stack.runtime.opsQueue.resume();
      }
    },
  );

  describe('approvals', () => {
    async function ask() {
      const ack = text(await stack.slash('ping --ticks 1 --tick-seconds 0'));
      return stack.pendingApproval(ack);
    }

    it('an approval record forged in Redis approves nothing and starts nothing', async () => {
      const approvalId = `apv_${randomBytes(12).toString('hex')}`;
      const expiresAt = Date.now() + 600_000;
      const record = {
        id: approvalId,
        request: { command: 'ops ping', userId: CAROL.id, channelId: OPS_CHANNEL.id },
        requirement: { group: 'approvers', distinct: true },
        plan: pingEnvelope({ ticks: 1, tickMs: 0 }),
        createdAt: Date.now(),
      };
      await redisCli(
        'HSET',
        `${stack.prefix}:approval:${approvalId}`,
        'status',
        'pending',
        'expiresAt',
        String(expiresAt),
        'record',
        JSON.stringify(record),
      );
      const answer = await stack.click(APPROVE_ACTION_ID, approvalId, '1.000001', BOB);
      expect(answer).toContain(`Approval \`${approvalId}\` is not as opsdeck stored it`);
      expect(answer).toContain('nothing runs');
      expect(await stack.runtime.opsQueue.count()).toBe(0);
      const row = await refusedRow(
        (r) => r.detailJson?.includes(approvalId) ?? false,
        'the refused approval in the trail',
      );
      expect(row.actorId).toBe(BOB.id);
      expect(JSON.parse(row.detailJson!)).toMatchObject({ kind: 'approval', decision: 'approve' });
    });

    it('an approval whose plan was edited in Redis is refused when approved; the job never runs', async () => {
      const { approvalId, jobId, message } = await ask();
      const key = `${stack.prefix}:approval:${approvalId}`;
      const record = JSON.parse(await redisCli('HGET', key, 'record')) as Tampered;
      record.plan.input.ticks = 60;
      await redisCli('HSET', key, 'record', JSON.stringify(record));
      const answer = await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
      expect(answer).toContain('is not as opsdeck stored it');
      expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();
    });

    it('"approved" written into an approval by hand starts nothing, and a later click does not either', async () => {
      const { approvalId, jobId, message } = await ask();
      const key = `${stack.prefix}:approval:${approvalId}`;
      await redisCli('HSET', key, 'status', 'approved', 'decidedBy', BOB.id, 'decidedAt', '1');
      const answer = await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB);
      expect(answer).toContain('is not as opsdeck stored it');
      expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();
    });

    it('the control: an approval as opsdeck stored it runs its job', async () => {
      const { approvalId, jobId, message } = await ask();
      expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toContain(
        `Approved; \`${jobId}\` is queued`,
      );
      expect((await ended(jobId)).state).toBe('completed');
    });
  });

  it('a mid-run decision written into Redis by hand does not let the job go on', async () => {
    const envelope = pingEnvelope({ ticks: 1, tickMs: 0, approveMidway: true });
    const { jobId } = envelope.meta;
    await stack.runtime.jobs.enqueue(envelope);
    const message = await waitFor(
      () =>
        stack.slack
          .messages(ALERT_CHANNEL)
          .find(
            (m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`(job \`${jobId}\`)`),
          ),
      20_000,
      'the mid-run approval message',
    );
    const approvalId = /apv_[0-9a-f]{24}/.exec(JSON.stringify(message.blocks))![0];
    await redisCli(
      'HSET',
      `${stack.prefix}:approval:${approvalId}`,
      'status',
      'approved',
      'decidedBy',
      CAROL.id,
      'decidedAt',
      String(Date.now()),
    );
    const outcome = await ended(jobId);
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toContain(
      `the decision of approval ${approvalId} was not written by opsdeck`,
    );
    const checkpoint = outcome.data.checkpoint as { completed: string[]; cleanedUp: string[] };
    expect(checkpoint.completed).not.toContain('read-back');
    expect(checkpoint.cleanedUp).toContain('write-scratch-key');
    const types = await waitFor(
      async () => {
        const found = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
        return found.includes('failed') ? found : null;
      },
      10_000,
      'the failed job in the trail',
    );
    expect(types).toContain('refused');
    expect(types).not.toContain('approved');
  });

  it('a cancel request written into Redis by hand is ignored (audited); the job finishes', async () => {
    const envelope = pingEnvelope({ ticks: 10, tickMs: 300 });
    const { jobId } = envelope.meta;
    await stack.runtime.jobs.enqueue(envelope);
    await waitFor(
      async () =>
        ((await stack.runtime.jobs.get(jobId))?.progress as { percent?: number })?.percent,
      20_000,
      'the wait step to run',
    );
    await redisCli('SET', `${stack.prefix}:cancel:${jobId}`, JSON.stringify({ by: BOB }));
    await redisCli('PUBLISH', `${stack.prefix}:cancel`, jobId);
    const row = await refusedRow(
      (r) => r.detailJson?.includes(jobId) ?? false,
      'the ignored cancel in the trail',
    );
    expect(JSON.parse(row.detailJson!)).toMatchObject({ kind: 'cancel', jobId });
    const outcome = await ended(jobId);
    expect(outcome.state).toBe('completed');
  });

  it('a checkpoint edited in Redis while its worker was down is refused on resume: nothing more runs, not even cleanups', async () => {
    const envelope = pingEnvelope({ ticks: 1, tickMs: 0, approveMidway: true });
    const { jobId } = envelope.meta;
    await stack.runtime.jobs.enqueue(envelope);
    await waitFor(
      async () => {
        const state = (await stack.checkpoint(jobId))?.state;
        return (state?.['approval:approve-midway'] as { posted?: boolean } | undefined)?.posted;
      },
      20_000,
      'the job to wait for its mid-run approval',
    );
    await stack.killWorker();
    // Skip the approval: mark its step done in the checkpoint.
    const key = jobKey(jobId);
    const data = JSON.parse(await redisCli('HGET', key, 'data')) as Tampered;
    data.checkpoint.completed.push('approve-midway');
    await redisCli('HSET', key, 'data', JSON.stringify(data));
    await stack.startWorker();

    const outcome = await ended(jobId, 60_000);
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toContain('its checkpoint is not as the engine saved it');
    // Its recorded state cannot be trusted, so its cleanups did not run: the key is still there.
    expect(await stack.redis.exists(`${stack.prefix}:ping:${jobId}`)).toBe(1);
    const types = await waitFor(
      async () => {
        const found = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
        return found.includes('refused') ? found : null;
      },
      // A worker killed while it drained the audit spool holds the drain lock for a few seconds.
      20_000,
      'the refusal in the trail',
    );
    expect(types).not.toContain('succeeded');
    const steps = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.step);
    expect(steps).not.toContain('read-back');
    await waitFor(
      () => stack.thread(jobId).root?.text.includes(':rotating_light: refused'),
      10_000,
      "the job's root to say refused",
    );
    await stack.redis.del(`${stack.prefix}:ping:${jobId}`);
  }, 180_000);
});

describe('rotating the key that signs queued work', () => {
  const OLD = 'rotation-old-key-0123456789abcdef-0123456789';
  const NEW = 'rotation-new-key-0123456789abcdef-0123456789';
  const UNRELATED = 'rotation-unrelated-key-0123456789abcdef-0123';
  let stack: E2eStack;

  beforeAll(async () => {
    stack = new E2eStack({
      queue: {
        lockDurationMs: 4000,
        stalledIntervalMs: 1000,
        shutdownTimeoutMs: 5000,
        previousSigningKeyEnv: 'OPSDECK_QUEUE_KEY_PREVIOUS',
      },
    });
    // Step 1 of the rotation for the bot: it signs with the old key, and accepts the new one.
    Object.assign(stack.env, { OPSDECK_QUEUE_KEY: OLD, OPSDECK_QUEUE_KEY_PREVIOUS: NEW });
    await stack.start();
  });
  afterAll(() => stack.stop());

  async function ping(): Promise<string> {
    const ack = (await stack.slash('ping --ticks 1 --tick-seconds 0')).body as { text: string };
    return /`(ping-[0-9a-f]{10})`/.exec(ack.text)![1]!;
  }

  async function outcome(jobId: string) {
    await waitFor(
      async () => (await stack.runtime.jobs.get(jobId))?.finishedOn,
      30_000,
      `job ${jobId} to end`,
    );
    const job = (await stack.runtime.jobs.get(jobId))!;
    return { state: await job.getState(), reason: job.failedReason };
  }

  it('a worker already on the new key runs work the bot signed with the old one; once the old key is dropped, such work is refused', async () => {
    // Step 2 for this worker: signs with the new key, still accepts the old one.
    Object.assign(stack.env, { OPSDECK_QUEUE_KEY: NEW, OPSDECK_QUEUE_KEY_PREVIOUS: OLD });
    const during = await stack.startWorker();
    const first = await ping();
    expect(await outcome(first)).toMatchObject({ state: 'completed' });

    // Step 3 done too early: a worker that no longer holds the old key.
    const exited = new Promise((resolve) => during.once('exit', resolve));
    during.kill('SIGKILL');
    await exited;
    Object.assign(stack.env, { OPSDECK_QUEUE_KEY: NEW, OPSDECK_QUEUE_KEY_PREVIOUS: UNRELATED });
    await stack.startWorker();
    const second = await ping();
    expect(await outcome(second)).toEqual({
      state: 'failed',
      reason:
        'refused: the job is not as opsdeck queued it: its MAC was made with a key this process does not hold (OPSDECK_WORK_UNAUTHENTICATED)',
    });
  }, 180_000); // two worker processes start one after the other (slow on a loaded machine)
});
