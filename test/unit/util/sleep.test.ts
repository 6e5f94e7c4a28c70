import { abortError, sleep, sleepUnlessAborted } from '../../../src/util/sleep';

describe('sleep', () => {
  it('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(sleep(5000, controller.signal)).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('rejects at once with an AbortError naming a reason that is not an Error', async () => {
    const controller = new AbortController();
    controller.abort('cancelled');
    await expect(sleep(5000, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
      message: 'aborted: cancelled',
    });
    expect(abortError(controller.signal).name).toBe('AbortError');
  });

  it('resolves after the time without a signal', async () => {
    await expect(sleep(5)).resolves.toBeUndefined();
  });

  it('sleepUnlessAborted ends early instead of rejecting', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('x'), 10);
    await expect(sleepUnlessAborted(5000, controller.signal)).resolves.toBeUndefined();
  });
});
