import { checkJob, signCheckpoint, signJob } from '../../../src/queue/signed-job';
import type { Checkpoint } from '../../../src/runbook/checkpoint';
import type { JobEnvelope } from '../../../src/runbook/job-envelope';
import { WorkSigner } from '../../../src/util/work-signature';

const signer = new WorkSigner('unit-queue-key-0123456789abcdef-0123456789');
const DAY = 24 * 3600_000;
const T0 = Date.UTC(2026, 11, 3, 12);

const envelope: JobEnvelope = {
  meta: {
    jobId: 'ping-0123456789',
    command: '/ops ping',
    runbook: 'ping',
    summary: 'self-test',
    actor: { id: 'U1', name: 'alice' },
    channel: { id: 'C1', name: 'ops' },
    requestedAt: new Date(T0).toISOString(),
    correlationId: 'c1',
  },
  input: { ticks: 1, tickMs: 0 },
};

/** The job as the worker reads it back from Redis: JSON, not the object that was signed. */
function stored(data: unknown) {
  return { id: 'ping-0123456789', name: 'ping', data: JSON.parse(JSON.stringify(data)) };
}

describe('checkJob', () => {
  it('lets a job run as it was signed', () => {
    expect(checkJob(signer, stored(signJob(signer, envelope, T0)), DAY, T0 + 1000)).toBeNull();
  });

  it('refuses a job under another id or runbook than it was signed for', () => {
    const data = signJob(signer, envelope, T0);
    expect(checkJob(signer, { ...stored(data), id: 'ping-9999999999' }, DAY, T0)).toMatchObject({
      kind: 'job',
    });
    expect(checkJob(signer, { ...stored(data), name: 'deploy' }, DAY, T0)).toMatchObject({
      kind: 'job',
    });
  });

  it.each([null, 'text', {}, { meta: envelope.meta, input: envelope.input }])(
    'refuses the job data %j',
    (data) => {
      expect(checkJob(signer, stored(data), DAY, T0)).toMatchObject({ kind: 'job' });
    },
  );

  it('refuses a job never started within the maximum age, but not one resumed from its checkpoint', () => {
    const data = signJob(signer, envelope, T0);
    expect(checkJob(signer, stored(data), DAY, T0 + DAY + 1)).toMatchObject({
      kind: 'job-age',
      reason: expect.stringContaining('run the command again'),
    });
    const checkpoint = { completed: ['write-scratch-key'] } as unknown as Checkpoint;
    const resumed = {
      ...data,
      checkpoint,
      checkpointMac: signCheckpoint(signer, envelope.meta.jobId, data.mac, checkpoint),
    };
    expect(checkJob(signer, stored(resumed), DAY, T0 + 2 * DAY)).toBeNull();
  });

  it('refuses a checkpoint edited in Redis, or one taken from another job', () => {
    const data = signJob(signer, envelope, T0);
    const checkpoint = { completed: ['write-scratch-key'] } as unknown as Checkpoint;
    const checkpointMac = signCheckpoint(signer, envelope.meta.jobId, data.mac, checkpoint);
    const edited = { ...data, checkpoint: { completed: [] }, checkpointMac };
    expect(checkJob(signer, stored(edited), DAY, T0)).toMatchObject({ kind: 'checkpoint' });
    const unsigned = { ...data, checkpoint };
    expect(checkJob(signer, stored(unsigned), DAY, T0)).toMatchObject({ kind: 'checkpoint' });
    const other = signJob(signer, { ...envelope, input: { ticks: 2, tickMs: 0 } }, T0);
    const borrowed = { ...other, checkpoint, checkpointMac };
    expect(checkJob(signer, stored(borrowed), DAY, T0)).toMatchObject({ kind: 'checkpoint' });
  });
});
