import fc from 'fast-check';
import { signedText, WorkSigner } from '../../../src/util/work-signature';

const OLD = 'old-queue-key-0123456789abcdef-0123456789';
const NEW = 'new-queue-key-0123456789abcdef-0123456789';
const OTHER = 'someone-elses-key-0123456789abcdef-01234';

describe('WorkSigner', () => {
  const record = { jobId: 'ping-0123456789', input: { ticks: 3 }, target: 'billing' };

  it('checks what it signed, however the JSON is laid out, and names the key by id only', () => {
    const signer = new WorkSigner(NEW);
    const mac = signer.sign('job', record);
    expect(mac).toMatch(/^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(mac).not.toContain(NEW);
    const reordered = JSON.parse(
      '{"target":"billing","input":{"ticks":3},"jobId":"ping-0123456789"}',
    );
    expect(signer.check('job', reordered, mac)).toEqual({
      ok: true,
      keyId: signer.keyId,
      previousKey: false,
    });
  });

  it.each([
    ['a changed value', { ...record, target: 'payroll' }],
    ['an added field', { ...record, extra: 1 }],
    ['a removed field', { jobId: record.jobId, input: record.input }],
    ['a number spelled as a string', { ...record, input: { ticks: '3' } }],
  ])('refuses %s', (_what, changed) => {
    const signer = new WorkSigner(NEW);
    expect(signer.check('job', changed, signer.sign('job', record))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a MAC made for another purpose (an approval MAC is no job MAC)', () => {
    const signer = new WorkSigner(NEW);
    expect(signer.check('job', record, signer.sign('approval', record))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    [42, 'malformed'],
    ['v1.deadbeef.abc', 'malformed'],
    ['v2.0123456789abcdef.' + 'A'.repeat(43), 'malformed'],
  ])('refuses the MAC %j as %s', (mac, reason) => {
    expect(new WorkSigner(NEW).check('job', record, mac)).toEqual({ ok: false, reason });
  });

  it('refuses a MAC made with a key it does not hold', () => {
    const mac = new WorkSigner(OTHER).sign('job', record);
    expect(new WorkSigner(NEW).check('job', record, mac)).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
  });

  it('a forged MAC under the right key id is a mismatch', () => {
    const signer = new WorkSigner(NEW);
    const forged = `v1.${signer.keyId}.${'A'.repeat(43)}`;
    expect(signer.check('job', record, forged)).toEqual({ ok: false, reason: 'mismatch' });
  });

  describe('key rotation', () => {
    it('during a rotation, work signed with the previous key still checks; new work is signed with the new key', () => {
      const before = new WorkSigner(OLD);
      const during = new WorkSigner(NEW, OLD);
      const after = new WorkSigner(NEW);
      const queuedBefore = before.sign('job', record);
      expect(during.check('job', record, queuedBefore)).toMatchObject({
        ok: true,
        previousKey: true,
      });
      const queuedDuring = during.sign('job', record);
      expect(queuedDuring.split('.')[1]).toBe(after.keyId);
      expect(after.check('job', record, queuedDuring)).toMatchObject({ ok: true });
      // Once the previous key is dropped, what it signed no longer checks.
      expect(after.check('job', record, queuedBefore)).toEqual({
        ok: false,
        reason: 'unknown-key',
      });
    });

    it('the previous key only checks: it never signs', () => {
      const during = new WorkSigner(NEW, OLD);
      expect(new WorkSigner(OLD).check('job', record, during.sign('job', record))).toEqual({
        ok: false,
        reason: 'unknown-key',
      });
    });
  });

  it('refuses keys shorter than 32 characters', () => {
    expect(() => new WorkSigner('short-key')).toThrow(/at least 32/);
    expect(() => new WorkSigner(NEW, 'short-key')).toThrow(/previous queue signing key/);
  });

  it('any change to any JSON record is refused (fuzzed)', () => {
    const signer = new WorkSigner(NEW);
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const mac = signer.sign('checkpoint', a);
        expect(signer.check('checkpoint', a, mac).ok).toBe(true);
        expect(signer.check('checkpoint', b, mac).ok).toBe(
          signedText('checkpoint', a) === signedText('checkpoint', b),
        );
      }),
    );
  });
});
