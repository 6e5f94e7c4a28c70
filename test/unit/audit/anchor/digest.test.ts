import fc from 'fast-check';
import {
  DIGEST_VERSION,
  digestName,
  fileHash,
  parseDigest,
  signatureValid,
  signDigest,
  type DigestBody,
} from '../../../../src/audit/anchor/digest';
import {
  generateSigningKeyPair,
  parsePrivateKey,
  parsePublicKey,
} from '../../../../src/config/audit-signing-key';

const pair = generateSigningKeyPair();
const privateKey = parsePrivateKey(pair.privateKey, 'test');
const publicKey = parsePublicKey(pair.publicKey, 'test');

const body: DigestBody = {
  version: DIGEST_VERSION,
  trail: 'opsdeck.audit_events',
  seq: 42,
  hash: 'a'.repeat(64),
  at: '2025-11-21T16:00:00.123Z',
  previous: { name: 'p/2025/11/21/20251121T150000.000Z-000000000040.json', hash: 'b'.repeat(64) },
  keyId: pair.keyId,
};

describe('audit digests', () => {
  it('are canonical JSON (sorted keys, one line) signed over every other field', () => {
    const { digest, bytes } = signDigest(body, privateKey);
    const text = bytes.toString('utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'at',
      'hash',
      'keyId',
      'previous',
      'seq',
      'signature',
      'trail',
      'version',
    ]);
    expect(parseDigest(bytes)).toEqual({ digest });
    expect(signatureValid(digest, publicKey)).toBe(true);
    // The same content in another key order signs and serializes the same.
    const reordered = Object.fromEntries(Object.entries(body).reverse()) as DigestBody;
    expect(fileHash(signDigest(reordered, privateKey).bytes)).toBe(fileHash(bytes));
  });

  it('no longer check once any signed field changes, or with another key', () => {
    const { digest } = signDigest(body, privateKey);
    const changes = [
      { seq: 41 },
      { hash: 'c'.repeat(64) },
      { at: '2025-11-21T16:00:00.124Z' },
      { previous: null },
      { previous: { ...body.previous!, hash: 'd'.repeat(64) } },
      { trail: 'other.audit_events' },
      { keyId: '0'.repeat(16) },
    ];
    for (const change of changes) {
      expect(signatureValid({ ...digest, ...change }, publicKey)).toBe(false);
    }
    const other = generateSigningKeyPair();
    expect(signatureValid(digest, parsePublicKey(other.publicKey, 'other'))).toBe(false);
    const forged = signDigest(body, parsePrivateKey(other.privateKey, 'other')).digest;
    expect(signatureValid(forged, publicKey)).toBe(false);
  });

  it('say why bytes are not a digest', () => {
    const { bytes } = signDigest(body, privateKey);
    const json = JSON.parse(bytes.toString()) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      ['{not json', /^is not JSON$/],
      [{ ...json, extra: 1 }, /^is not a digest \(top level: Unrecognized key/],
      [{ ...json, seq: -1 }, /^is not a digest \(seq:/],
      [{ ...json, hash: 'A'.repeat(64) }, /^is not a digest \(hash: must be 64 hex digits\)$/],
      [{ ...json, version: 'v0' }, /^is not a digest \(version:/],
      [{ ...json, signature: 'short' }, /^is not a digest \(signature:/],
      [{ ...json, at: 'yesterday' }, /^is not a digest \(at:/],
    ];
    for (const [input, error] of cases) {
      const text = typeof input === 'string' ? input : JSON.stringify(input);
      const parsed = parseDigest(Buffer.from(text));
      expect('error' in parsed && parsed.error).toMatch(error);
    }
  });

  it('are named so that key order is write order', () => {
    expect(digestName('audit/digests', '2025-11-21T16:00:00.123Z', 42)).toBe(
      'audit/digests/2025/11/21/20251121T160000.123Z-000000000042.json',
    );
    const time = fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2999-12-31') });
    fc.assert(
      fc.property(time, time, fc.nat(), fc.nat(), (a, b, seqA, seqB) => {
        fc.pre(a !== b);
        const nameA = digestName('p', new Date(a).toISOString(), seqA);
        const nameB = digestName('p', new Date(b).toISOString(), seqB);
        return (
          Math.sign(Buffer.compare(Buffer.from(nameA), Buffer.from(nameB))) === Math.sign(a - b)
        );
      }),
    );
  });
});
