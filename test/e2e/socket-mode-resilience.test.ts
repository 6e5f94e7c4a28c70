import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { CANCEL_ACTION_ID } from '../../src/queue/job-thread-observer';
import type { DisconnectReason } from '../../devkit/slack/fake-socket-mode';
import { BOB, CAROL, E2eStack, jobIdIn, PING_APPROVAL_ACCESS, waitFor } from '../helpers/e2e-stack';
import { answerText } from '../helpers/slack-text';

/**
 * What Slack does to Socket Mode connections in production, played by the fake Slack against
 * the real bot: `disconnect` warnings (sent routinely, e.g. before a server restarts), dropped
 * connections, refused reconnects, `link_disabled`, envelopes delivered again because their ack
 * was lost. Nothing may be lost, nothing done twice, and every ack must leave within 3 s.
 */

const BASE_MS = 400;
const MAX_MS = 2400;

describe('Socket Mode under what Slack does to sockets', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await new E2eStack(
      { access: PING_APPROVAL_ACCESS },
      { transport: 'socket', socket: { reconnectBaseMs: BASE_MS, reconnectMaxMs: MAX_MS } },
    ).start();
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  afterEach(async () => {
    // Whatever happened to the socket: back to one connection, every ack out within 3 s.
    await waitFor(async () => (await healthz()).slack === 'ok', 15_000, 'the bot connected again');
    for (const envelope of stack.slack.socket.envelopeRecords())
      for (const ack of envelope.acks) expect(ack.latencyMs).toBeLessThan(3000);
    for (const ack of stack.slack.socket.lostAcks) expect(ack.latencyMs).toBeLessThan(3000);
    expect(stack.slack.socket.strayAcks).toEqual([]);
  });

  async function healthz(): Promise<{ status: number; slack: string }> {
    const res = await fetch(`${stack.botUrl}/healthz`);
    const body = (await res.json()) as { checks: { slack: string } };
    return { status: res.status, slack: body.checks.slack };
  }

  /** One sample of the bot's /metrics (0 when absent). */
  async function metric(line: string): Promise<number> {
    const text = await (await fetch(`${stack.botUrl}/metrics`)).text();
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found ? Number(found.slice(line.length + 1)) : 0;
  }

  async function jobsCreated(): Promise<number> {
    const counts = await stack.runtime.opsQueue.getJobCounts();
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  /** Times of the bot's apps.connections.open calls since `from`. */
  function connectionOpens(from: number): number[] {
    return stack.slack.calls
      .filter((c) => c.method === 'apps.connections.open' && c.at >= from)
      .map((c) => c.at);
  }

  it.each<DisconnectReason>(['warning', 'refresh_requested'])(
    'disconnect (%s): a new connection before the old one closes; nothing lost or handled twice',
    async (reason) => {
      const before = await jobsCreated();
      const old = stack.slack.socket.openConnections().at(-1)!;
      const samples: string[] = [];
      const sampling = setInterval(() => {
        void healthz().then((h) => samples.push(h.slack));
      }, 40);
      const count = 16;
      const answers: Promise<{ body: unknown }>[] = [];
      try {
        for (let i = 0; i < count; i++) {
          if (i === 5) stack.slack.socket.disconnect(reason);
          answers.push(stack.slash('ping --ticks 1 --tick-seconds 0'));
          await new Promise((resolve) => setTimeout(resolve, 40));
        }
        const texts = (await Promise.all(answers)).map(answerText);
        // Each one queued once. (On a loaded machine the audit store may miss its 1 s to admit
        // one: then it is refused, fail closed, and nothing started; never a duplicate.)
        const queued = texts.filter((t) => t.startsWith(':inbox_tray: Queued'));
        const refused = texts.filter((t) => t.startsWith(':lock: The audit trail cannot be'));
        expect(queued.length + refused.length).toBe(count);
        expect(new Set(queued.map(jobIdIn)).size).toBe(queued.length);
        expect(await jobsCreated()).toBe(before + queued.length);
        await waitFor(() => old.closedAt, 10_000, 'the old connection to close');
      } finally {
        clearInterval(sampling);
      }
      const next = stack.slack.socket.connections.find((c) => c.id > old.id)!;
      expect(old.disconnect?.reason).toBe(reason);
      expect(next.openedAt).toBeLessThan(old.closedAt!);
      // The bot closed it once its envelopes were acked, before Slack would have (10 s later).
      expect(old.closedBy).toBe('app');
      // Every envelope delivered once and acked once, on the old connection or the new one.
      const envelopes = stack.slack.socket.envelopeRecords().slice(-count);
      for (const envelope of envelopes) {
        expect(envelope.deliveries).toHaveLength(1);
        expect(envelope.acks).toHaveLength(1);
      }
      const ackedOn = new Set(envelopes.map((e) => e.acks[0]!.connectionId));
      expect(ackedOn).toEqual(new Set([old.id, next.id]));
      // Slack was reachable all along.
      expect(samples.length).toBeGreaterThan(5);
      expect(samples.every((s) => s === 'ok')).toBe(true);
    },
  );

  it('a dropped connection comes back after backoff with jitter through refused attempts; /healthz says reconnecting meanwhile, and what was sent meanwhile arrives', async () => {
    const droppedBefore = await metric('opsdeck_slack_socket_events_total{event="dropped"}');
    const failedBefore = await metric('opsdeck_slack_socket_events_total{event="attempt-failed"}');
    stack.slack.script('apps.connections.open', [{ error: 'internal_error' }]);
    stack.slack.socket.refuseConnections(2);
    const dropped = stack.slack.socket.drop();
    const droppedAt = Date.now();
    const samples: { status: number; slack: string }[] = [];
    const sample = async () => {
      const h = await healthz();
      samples.push(h);
      return h;
    };
    await waitFor(async () => (await sample()).slack !== 'ok', 5000, 'the bot to notice');
    // Sent while no connection is open: Slack holds it until there is one.
    const meanwhile = stack.slash('ping --ticks 1 --tick-seconds 0');
    await waitFor(async () => (await sample()).slack === 'ok', 20_000, 'the bot to reconnect');
    expect(jobIdIn(answerText(await meanwhile))).toMatch(/^ping-/);

    const reconnecting = samples.filter((s) => s.slack.startsWith('reconnecting since'));
    expect(reconnecting.length).toBeGreaterThan(0);
    expect(reconnecting.every((s) => s.status === 503)).toBe(true);
    expect(samples.map((s) => s.slack)).toContainEqual(
      expect.stringMatching(
        /^reconnecting since \S+Z: 2 attempts failed \(.+\); next in \d+\.\d s$/,
      ),
    );

    // One failed URL, two refused sockets, then a connection: four attempts, waits doubling,
    // each drawn from the upper half of its step (jitter).
    const opens = connectionOpens(droppedAt);
    expect(opens).toHaveLength(4);
    const waits = [opens[0]! - droppedAt, ...opens.slice(1).map((at, i) => at - opens[i]!)];
    waits.forEach((wait, attempt) => {
      const step = Math.min(MAX_MS, BASE_MS * 2 ** attempt);
      expect(wait).toBeGreaterThanOrEqual(step / 2 - 20);
      expect(wait).toBeLessThan(step + 500); // the attempt itself takes a moment
    });
    const reconnected = stack.slack.socket.openConnections();
    expect(reconnected).toHaveLength(1);
    expect(reconnected[0]!.id).toBeGreaterThan(dropped.id);

    // What an operator watches: the drop, the failed attempts, one connection open again, acks.
    expect(await metric('opsdeck_slack_socket_events_total{event="dropped"}')).toBe(
      droppedBefore + 1,
    );
    expect(await metric('opsdeck_slack_socket_events_total{event="attempt-failed"}')).toBe(
      failedBefore + 3,
    );
    expect(await metric('opsdeck_slack_socket_connections')).toBe(1);
    expect(await metric('opsdeck_slack_socket_ack_seconds_count')).toBeGreaterThan(0);
    expect(await metric('opsdeck_slack_socket_ack_seconds_bucket{le="3"}')).toBe(
      await metric('opsdeck_slack_socket_ack_seconds_count'),
    );
  });

  it('link_disabled: /healthz says Socket Mode is off, and the bot retries at the longest wait only', async () => {
    const old = stack.slack.socket.disconnect('link_disabled');
    await waitFor(() => old.closedAt, 5000, 'the connection to close');
    const closedAt = old.closedAt!;
    const said = await waitFor(
      async () => {
        const h = await healthz();
        return h.slack.includes('link_disabled') ? h : null;
      },
      5000,
      'healthz to say link_disabled',
    );
    expect(said.status).toBe(503);
    expect(said.slack).toMatch(
      /^reconnecting since \S+Z: Slack turned Socket Mode off for this app \(link_disabled\)/,
    );
    await waitFor(async () => (await healthz()).slack === 'ok', 10_000, 'the bot back');
    const [first] = connectionOpens(closedAt);
    expect(first! - closedAt).toBeGreaterThanOrEqual(MAX_MS - 20);
  });

  describe('an envelope delivered again (its ack lost) starts nothing new', () => {
    it('a slash command: the same envelope_id, or the same trigger in a new envelope', async () => {
      const before = await jobsCreated();
      const body = stack.slashBody('ping --ticks 1 --tick-seconds 0');
      const answer = await stack.deliver(body, { loseFirstAck: true });
      const [lost] = stack.slack.socket.lostAcks.slice(-1);
      const firstText = (lost!.payload as { text: string }).text;
      expect(firstText).toMatch(/^:inbox_tray: Queued/);
      const jobId = jobIdIn(firstText);
      expect(answerText(answer)).toBe(
        `:information_source: This request was already received as \`${jobId}\`; nothing new was queued.`,
      );
      const record = stack.slack.socket.envelope(lost!.envelopeId)!;
      expect(record.deliveries.map((d) => d.attempt)).toEqual([0, 1]);
      expect(new Set(record.deliveries.map((d) => d.connectionId)).size).toBe(2);

      expect(answerText(await stack.deliver(body))).toContain(`already received as \`${jobId}\``);
      expect(await jobsCreated()).toBe(before + 1);
      await stack.finishedThread(jobId, 'succeeded', 20_000);
    });

    it('a request that waits for approval: one approval posted', async () => {
      const body = stack.slashBody('ping --ticks 1 --tick-seconds 0', { user: BOB });
      const answer = await stack.deliver(body, { loseFirstAck: true });
      const [lost] = stack.slack.socket.lostAcks.slice(-1);
      const { approvalId } = await stack.pendingApproval((lost!.payload as { text: string }).text);
      expect(answerText(answer)).toBe(
        `:information_source: This request was already received: approval \`${approvalId}\` (pending, posted in C0ALERTS); nothing new was posted.`,
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // a second message would be out
      const posted = stack.slack
        .messages()
        .filter((m) => JSON.stringify(m.blocks ?? []).includes(approvalId) && !m.thread_ts);
      expect(posted).toHaveLength(1);
    });

    it('an Approve click: the job is queued once', async () => {
      const before = await jobsCreated();
      const ack = answerText(await stack.slash('ping --ticks 1 --tick-seconds 0', { user: BOB }));
      const { approvalId, jobId, message } = await stack.pendingApproval(ack);
      const from = stack.slack.calls.length;
      const click = stack.clickBody(APPROVE_ACTION_ID, approvalId, message.ts, CAROL);
      await stack.deliver(click, { loseFirstAck: true });
      // Each delivery answers the clicker through the click's response_url.
      const answers = await waitFor(
        () => {
          const said = stack.slack.calls
            .slice(from)
            .filter((c) => c.method === 'respond')
            .map((c) => String(c.args.text));
          return said.length >= 2 ? said : null;
        },
        10_000,
        'both answers to the click',
      );
      expect(answers).toEqual(
        expect.arrayContaining([
          expect.stringContaining(`Approved; \`${jobId}\` is queued`),
          expect.stringContaining('This approval was already approved by <@U0CAROL>'),
        ]),
      );
      await stack.finishedThread(jobId, 'succeeded', 20_000);
      expect(await jobsCreated()).toBe(before + 1);
      const events = await waitFor(
        async () => {
          const types = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
          return types.includes('succeeded') ? types : null;
        },
        10_000,
        'the job in the audit trail',
      );
      expect(events.filter((t) => t === 'approved')).toHaveLength(1);
      expect(events.filter((t) => t === 'started')).toHaveLength(1);
    });

    it('a Cancel click: the job is cancelled once', async () => {
      const jobId = jobIdIn(answerText(await stack.slash('ping --ticks 60 --tick-seconds 0.5')));
      const root = await waitFor(() => stack.thread(jobId).root, 20_000, 'the root message');
      await waitFor(
        async () =>
          ((await stack.runtime.jobs.get(jobId))?.progress as { percent?: number })?.percent,
        20_000,
        'the wait step to run',
      );
      await stack.deliver(stack.clickBody(CANCEL_ACTION_ID, jobId, root.ts), {
        loseFirstAck: true,
      });
      const thread = await stack.finishedThread(jobId, 'cancelled', 30_000);
      expect(
        thread.lines.filter((l) => l.includes('cleanup *delete throwaway key* done')),
      ).toHaveLength(1);
      const job = (await stack.runtime.jobs.get(jobId))!;
      expect(job.failedReason).toBe('cancelled: cancelled by alice');
      const events = await waitFor(
        async () => {
          const types = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
          return types.includes('cancelled') ? types : null;
        },
        10_000,
        'the cancellation in the audit trail',
      );
      expect(events.filter((t) => t === 'cancelled')).toHaveLength(1);
    });
  });

  it('acks 50 commands sent at once, each within 3 s', async () => {
    const before = await jobsCreated();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => stack.slash('ping --ticks 1 --tick-seconds 0')),
    );
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3000);
    // Queued, or refused because the audit store missed its 1 s on a loaded machine (fail closed).
    const queued = answers.filter((a) => answerText(a).startsWith(':inbox_tray: Queued'));
    const refused = answers.filter((a) =>
      answerText(a).startsWith(':lock: The audit trail cannot be'),
    );
    expect(queued.length + refused.length).toBe(50);
    expect(await jobsCreated()).toBe(before + queued.length);
  });
});
