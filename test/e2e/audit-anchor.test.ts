import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import { runAuditCli } from '../../src/audit/cli';
import { testSigningKey } from '../helpers/audit-digests';
import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { MYSQL } from '../helpers/services';

/**
 * Audit anchoring as deployed: a real worker process with the signing key in its environment
 * writes digests to an S3 bucket with Object Lock (the sandbox, through the unmodified SDK) when
 * it starts and after a job ends, posts each new head hash to the configured channel through the
 * outbox, and `opsdeck audit verify` checks the rows against them, before and after rows are
 * deleted from the end.
 */

const key = testSigningKey();
const BUCKET = 'opsdeck-audit';
const ANCHOR_CHANNEL = '#audit-anchors';

describe('audit anchoring end to end', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = new E2eStack(
      {
        audit: {
          anchor: {
            publicKey: key.publicKeyText,
            sink: { s3: { bucket: BUCKET, objectLock: { mode: 'COMPLIANCE', retainDays: 1 } } },
            prefix: 'digests',
            channel: ANCHOR_CHANNEL,
          },
        },
      },
      { sandbox: {} },
    );
    await stack.start();
    await stack.sandbox!.clients.s3.send(
      new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }),
    );
  });
  afterAll(() => stack.stop());

  async function verify() {
    let out = '';
    let err = '';
    const code = await runAuditCli(['verify'], stack.config, {
      stdout: (text) => (out += text),
      stderr: (text) => (err += text),
      env: stack.env,
      now: () => Date.now(),
    });
    return { code, out, err };
  }

  it('does not start a worker whose signing key does not match the configured public key', async () => {
    stack.env.OPSDECK_AUDIT_SIGNING_KEY = testSigningKey().privateKeyText;
    await expect(stack.startWorker()).rejects.toThrow(/does not match audit\.anchor\.publicKey/);
    delete stack.env.OPSDECK_AUDIT_SIGNING_KEY;
    await expect(stack.startWorker()).rejects.toThrow(/OPSDECK_AUDIT_SIGNING_KEY is not set/);
  });

  it('anchors the head after a job, posts it, and verify catches rows deleted from the end', async () => {
    stack.env.OPSDECK_AUDIT_SIGNING_KEY = key.privateKeyText;
    await stack.startWorker();
    const ack = await stack.slash('ping --ticks 1 --tick-seconds 0');
    const jobId = jobIdIn((ack.body as { text: string }).text);
    await stack.finishedThread(jobId, 'succeeded');

    // The job's last row (`succeeded`, written from the spool) is the head the digest written
    // after its end signs and posts.
    const head = await waitFor(
      async () => {
        const rows = await stack.runtime.auditStore.query({ jobIds: [jobId] });
        return rows.find((row) => row.type === 'succeeded');
      },
      20_000,
      "the job's succeeded row",
    );
    const post = await waitFor(
      () => stack.slack.messages(ANCHOR_CHANNEL).find((m) => m.text.includes(head.hash))?.text,
      20_000,
      `the post of head ${head.hash} in ${ANCHOR_CHANNEL}`,
    );
    expect(post).toContain(`:lock: Audit trail anchored at row ${head.seq}`);
    expect(post).toContain(`signed by key \`${key.keyId}\``);

    const objects = await stack.sandbox!.clients.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'digests/' }),
    );
    expect(objects.Contents!.length).toBeGreaterThanOrEqual(2); // at start, after the job
    expect(objects.Contents!.map((o) => o.Key)).toContainEqual(
      expect.stringMatching(new RegExp(`-${String(head.seq).padStart(12, '0')}\\.json$`)),
    );

    const ok = await verify();
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toMatch(/^audit trail ok: \d+ rows/);
    expect(ok.out).toContain(`anchors row ${head.seq}`);

    const admin = await mysql.createConnection({ ...MYSQL, database: stack.database.name });
    await admin.query('DELETE FROM audit_events WHERE seq >= ?', [head.seq - 1]);
    await admin.end();
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(
      new RegExp(
        `anchors row ${head.seq}, but the trail ends at row ${head.seq - 2}: rows .* were deleted \\[anchored-rows-deleted\\]`,
      ),
    );

    // The private key never reached the worker's output (logs).
    expect(stack.workerOutput).toContain('audit digest written');
    expect(stack.workerOutput).not.toContain(key.privateKeyText);
  });
});
