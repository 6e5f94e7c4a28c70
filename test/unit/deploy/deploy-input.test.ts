import fc from 'fast-check';
import { DeployInput, refProblem } from '../../../src/deploy/deploy-input';

describe('a ref as /deploy takes it', () => {
  it.each([
    'v1.2.3',
    'main',
    'release/2026-11',
    'a1b2c3d4e5f6',
    '; rm -rf /',
    '$(touch pwned)',
    '`id`',
    `it's "quoted"`,
    'x'.repeat(255),
    'ünïcödé ✓',
  ])('accepts %j as one plain value', (ref) => {
    expect(refProblem(ref)).toBeNull();
  });

  it.each([
    ['', 'must be 1-255 characters'],
    ['x'.repeat(256), 'must be 1-255 characters'],
    ['-rf', 'must not start with -'],
    ['--upload-pack=evil', 'must not start with -'],
    ['v1\nrm', 'must not contain control characters or newlines'],
    ['v1\0', 'must not contain control characters or newlines'],
    ['v1\u007f', 'must not contain control characters or newlines'],
  ])('refuses %j: %s', (ref, message) => {
    expect(refProblem(ref)).toContain(message);
  });

  it('fuzz: accepted exactly when 1-255 characters, no control character and no leading -', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (ref) => {
        const ok =
          ref.length >= 1 &&
          ref.length <= 255 &&
          !ref.startsWith('-') &&
          // eslint-disable-next-line no-control-regex
          !/[\u0000-\u001f\u007f]/.test(ref);
        expect(refProblem(ref) === null).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });

  it('the job input is validated again in the worker: hosts as planned, no host twice', () => {
    const input = {
      app: 'billing',
      env: 'prod',
      ref: '; rm -rf /',
      hosts: ['127.0.1.2', 'web-1.internal'],
      pre: false,
      post: true,
    };
    expect(DeployInput.parse(input)).toEqual(input);
    expect(DeployInput.safeParse({ ...input, hosts: [] }).success).toBe(false);
    expect(DeployInput.safeParse({ ...input, hosts: ['a', 'a'] }).success).toBe(false);
    expect(DeployInput.safeParse({ ...input, hosts: ['-oProxyCommand=x'] }).success).toBe(false);
    expect(DeployInput.safeParse({ ...input, ref: '-x' }).success).toBe(false);
    expect(DeployInput.safeParse({ ...input, extra: 1 }).success).toBe(false);
  });
});
