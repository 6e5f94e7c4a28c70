import fc from 'fast-check';
import { DeployInput } from '../../../src/deploy/deploy-input';
import { environmentRefProblem, gitRefProblem, refProblem } from '../../../src/config/deploy-ref';

describe('a ref as /deploy takes it, in every environment', () => {
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
  ])('accepts %j as one plain value (the baseline the worker checks again)', (ref) => {
    expect(refProblem(ref)).toBeNull();
  });

  it.each([
    ['', 'must be 1-255 characters'],
    ['x'.repeat(256), 'must be 1-255 characters'],
    ['-rf', 'must not start with -'],
    ['--upload-pack=evil', 'must not start with -'],
    ['v1\nrm', 'contains U+000A (LINE FEED) at character 3'],
    ['v1\0', 'contains U+0000 (NULL)'],
    ['v1\u007f', 'contains U+007F (DELETE)'],
    ['v1.2.3\u202e4pm', 'contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 7'],
    ['v1\u2066x\u2069', 'contains U+2066 (LEFT-TO-RIGHT ISOLATE)'],
    ['v1\u200b', 'contains U+200B (ZERO WIDTH SPACE)'],
    ['v1\u00ad', 'contains U+00AD (SOFT HYPHEN)'],
    ['\ufeffv1', 'contains U+FEFF'],
  ])('refuses %j: %s', (ref, message) => {
    expect(refProblem(ref)).toContain(message);
  });

  it('fuzz: accepted exactly when 1-255 characters, no Cc or Cf character and no leading -', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (ref) => {
        const ok =
          ref.length >= 1 &&
          ref.length <= 255 &&
          !ref.startsWith('-') &&
          !/[\p{Cc}\p{Cf}]/u.test(ref);
        expect(refProblem(ref) === null).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("git's rules for a ref name (git check-ref-format --allow-onelevel), the default", () => {
  it.each([
    'v1.2.3',
    'main',
    'release/2026-11',
    'feature/x-y_z',
    'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
    'HEAD',
    'v1@2',
    'ünïcödé',
    'x.lock.y',
    'a/b.c',
  ])('accepts %j', (ref) => {
    expect(environmentRefProblem(ref, {})).toBeNull();
  });

  it.each([
    ['a..b', 'must not contain ..'],
    ['v1 2', 'must not contain a space'],
    ['; rm -rf /', 'must not contain a space'],
    ['$(touch x)', 'must not contain a space'],
    ['v1~1', 'must not contain ~'],
    ['v1^', 'must not contain ^'],
    ['a:b', 'must not contain :'],
    ['a?', 'must not contain ?'],
    ['a*', 'must not contain *'],
    ['a[b', 'must not contain ['],
    ['a\\b', 'must not contain \\'],
    ['v1\tx', 'contains U+0009 (TAB)'],
    ['a@{1}', 'must not contain @{'],
    ['@', 'must not be @ alone'],
    ['a.', 'must not end with .'],
    ['a.lock', 'no part may end with .lock'],
    ['refs/heads/x.lock/y', 'no part may end with .lock'],
    ['a//b', 'must not contain //'],
    ['/a', 'must not start or end with /'],
    ['a/', 'must not start or end with /'],
    ['.hidden', 'no part may start with .'],
    ['a/.b', 'no part may start with .'],
    ['-rf', 'must not start with -'],
    ['v1.2.3\u202e4pm', 'U+202E'],
  ])('refuses %j: %s', (ref, message) => {
    expect(environmentRefProblem(ref, {})).toContain(message);
  });

  it('fuzz: what it accepts breaks none of the rules', () => {
    const unit = fc.constantFrom(...'ab.-/@{~^:?*[\\ lock\u202e'.split(''), '.lock', '..', '//');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 12 }), (parts) => {
        const ref = parts.join('');
        if (gitRefProblem(ref) !== null) return true;
        return (
          ref !== '@' &&
          !ref.includes('..') &&
          !ref.includes('@{') &&
          !ref.includes('//') &&
          !/[ ~^:?*[\\]/.test(ref) &&
          !ref.startsWith('/') &&
          !ref.endsWith('/') &&
          !ref.endsWith('.') &&
          ref.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'))
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("an environment's refPattern replaces git's rules, never the baseline", () => {
    const tagsOnly = { refPattern: /^v[0-9]+[.][0-9]+[.][0-9]+$/u };
    expect(environmentRefProblem('v1.2.3', tagsOnly)).toBeNull();
    expect(environmentRefProblem('main', tagsOnly)).toContain(
      "must match this environment's refPattern",
    );
    const anything = { refPattern: /^.*$/u };
    expect(environmentRefProblem('a..b c', anything)).toBeNull();
    expect(environmentRefProblem('-x', anything)).toContain('must not start with -');
    expect(environmentRefProblem('v1\u202e', anything)).toContain('U+202E');
  });
});

describe('the job input, validated again in the worker', () => {
  it('hosts as planned, no host twice, the ref baseline', () => {
    const input = {
      kind: 'deploy',
      queue: false,
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
    expect(DeployInput.safeParse({ ...input, ref: 'v1\u202e' }).success).toBe(false);
    expect(DeployInput.safeParse({ ...input, extra: 1 }).success).toBe(false);
    expect(DeployInput.safeParse({ ...input, kind: 'redeploy' }).success).toBe(false);
  });
});
