import { readWorkSigner } from '../../../src/config/queue-signing-key';
import { ErrorCode } from '../../../src/errors';
import { redactText } from '../../../src/log/redact';

const NAMES = { signingKeyEnv: 'QK', previousSigningKeyEnv: 'QK_OLD' };

describe('readWorkSigner', () => {
  it('fails closed without the key, naming the variable', () => {
    expect(() => readWorkSigner({ signingKeyEnv: 'QK' }, {})).toThrow(
      expect.objectContaining({
        code: ErrorCode.SecretMissing,
        message: expect.stringMatching(/^environment variable QK is not set \(queue.signingKeyEnv/),
      }),
    );
  });

  it('refuses a short key without showing it, and masks it in logs from then on', () => {
    const key = 'short-queue-key-1234';
    let message = '';
    try {
      readWorkSigner({ signingKeyEnv: 'QK' }, { QK: key });
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.QueueKeyInvalid });
      message = (error as Error).message;
    }
    expect(message).toContain('QK holds 20 characters');
    expect(message).not.toContain(key);
    expect(redactText(`key=${key}`)).not.toContain(key);
  });

  it('during a rotation needs the previous key too, and refuses the same key twice', () => {
    const current = 'current-queue-key-0123456789abcdef-0123';
    const previous = 'previous-queue-key-0123456789abcdef-012';
    expect(() => readWorkSigner(NAMES, { QK: current })).toThrow(/QK_OLD is not set/);
    expect(() => readWorkSigner(NAMES, { QK: current, QK_OLD: current })).toThrow(
      expect.objectContaining({ code: ErrorCode.QueueKeyInvalid }),
    );
    const signer = readWorkSigner(NAMES, { QK: current, QK_OLD: previous });
    const old = readWorkSigner({ signingKeyEnv: 'QK' }, { QK: previous });
    expect(signer.check('job', { a: 1 }, old.sign('job', { a: 1 }))).toMatchObject({
      ok: true,
      previousKey: true,
    });
    expect(redactText(`${current} ${previous}`)).toBe('[REDACTED] [REDACTED]');
  });
});
