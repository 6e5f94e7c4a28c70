import pino from 'pino';
import {
  AnchorScheduler,
  type AnchorHealthReport,
} from '../../../../src/audit/anchor/anchor-scheduler';
import type { AnchorOutcome, AnchorReason } from '../../../../src/audit/anchor/anchor-writer';
import type { SignedDigest } from '../../../../src/audit/anchor/digest';
import { ErrorCode, OpsdeckError } from '../../../../src/errors';

/** A digest writer whose answers the test scripts: one per call, then `written`. */
class ScriptedWriter {
  calls: AnchorReason[] = [];
  script: (() => Promise<AnchorOutcome>)[] = [];
  gate: Promise<void> = Promise.resolve();

  async anchor(reason: AnchorReason): Promise<AnchorOutcome> {
    this.calls.push(reason);
    await this.gate;
    const next = this.script.shift();
    if (next) return next();
    return {
      kind: 'written',
      name: `d${this.calls.length}`,
      digest: {} as SignedDigest,
      headMoved: true,
    };
  }
}

function scheduler(writer: ScriptedWriter, reports: AnchorHealthReport[] = []) {
  const flushed: number[] = [];
  const s = new AnchorScheduler({
    writer,
    flushSpool: async (timeoutMs) => {
      flushed.push(timeoutMs);
      return true;
    },
    intervalMs: 3_600_000,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    busyRetryMs: 5,
    report: async (report) => {
      reports.push(report);
    },
    logger: pino({ level: 'silent' }),
  });
  return { s, flushed, reports };
}

describe('AnchorScheduler', () => {
  it('writes at start, flushes the spool first, and merges requests made meanwhile into one', async () => {
    const writer = new ScriptedWriter();
    let open!: () => void;
    writer.gate = new Promise((resolve) => (open = resolve));
    const { s, flushed } = scheduler(writer);
    s.start();
    for (let i = 0; i < 5; i++) s.request('job-end');
    open();
    await s.idle();
    expect(writer.calls).toEqual(['interval', 'job-end']);
    expect(flushed).toEqual([5000, 5000]);
    await s.stop();
  });

  it('returns at once to a job that ends, even while a write hangs', async () => {
    const writer = new ScriptedWriter();
    writer.gate = new Promise(() => undefined);
    const { s } = scheduler(writer);
    s.start();
    const started = Date.now();
    s.request('job-end');
    expect(Date.now() - started).toBeLessThan(50);
    await new Promise((resolve) => setImmediate(resolve));
    // The hung write is the start's; the job's request waits behind it, not the job.
    expect(writer.calls).toEqual(['interval']);
  });

  it('tries again soon when another process holds the digest lock', async () => {
    const writer = new ScriptedWriter();
    writer.script = [async () => ({ kind: 'busy' }), async () => ({ kind: 'busy' })];
    const { s, reports } = scheduler(writer);
    s.start();
    await s.idle();
    expect(writer.calls).toEqual(['interval', 'interval', 'interval']);
    expect(reports).toEqual([]);
    await s.stop();
  });

  it('retries a failed write until it succeeds, reporting the failure once and the recovery once', async () => {
    const writer = new ScriptedWriter();
    const down = async (): Promise<AnchorOutcome> => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    };
    writer.script = [down, down, down];
    const { s, reports } = scheduler(writer);
    s.start();
    s.request('job-end');
    await s.idle();
    expect(writer.calls).toHaveLength(4);
    expect(writer.calls[3]).toBe('interval');
    expect(reports).toEqual([
      { failing: true, tampered: false, error: 'connect ECONNREFUSED 127.0.0.1:9' },
      { failing: false, name: 'd4' },
    ]);
    await s.stop();
  });

  it('reports a refusal (the trail changed under the last digest) as tampering', async () => {
    const writer = new ScriptedWriter();
    writer.script = [
      async () => {
        throw new OpsdeckError(
          ErrorCode.AuditAnchorRefused,
          'no audit digest signed: row 4 is gone',
        );
      },
    ];
    const { s, reports } = scheduler(writer);
    s.start();
    await s.idle();
    expect(reports[0]).toEqual({
      failing: true,
      tampered: true,
      error: 'no audit digest signed: row 4 is gone (OPSDECK_AUDIT_ANCHOR_REFUSED)',
    });
    await s.stop();
  });

  it('takes no more requests once stopped', async () => {
    const writer = new ScriptedWriter();
    const { s } = scheduler(writer);
    s.start();
    await s.stop();
    s.request('job-end');
    await s.idle();
    expect(writer.calls).toEqual(['interval']);
  });
});
