import fc from 'fast-check';
import { ErrorCode, OpsdeckError } from '../../../src/errors';
import { describeConnectFailure, type ConnectionIdentity } from '../../../src/mysql/connect-error';

const CONNECTION: ConnectionIdentity = {
  name: 'databases.billing',
  host: 'billing.abc123.eu-west-1.rds.amazonaws.com',
  port: 3306,
  tls: { mode: 'verify-identity', trusts: '/etc/opsdeck/rds-global-bundle.pem' },
};
const WHERE =
  'MySQL connection databases.billing (billing.abc123.eu-west-1.rds.amazonaws.com:3306)';

/** mysql2's TLS failure: Node's error with its code replaced by HANDSHAKE_SSL_ERROR. */
const handshakeError = (message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { code: 'HANDSHAKE_SSL_ERROR', fatal: true, ...extra });

describe('describeConnectFailure', () => {
  it.each([
    'self-signed certificate in certificate chain',
    'self signed certificate in certificate chain',
    'self-signed certificate',
    'unable to get local issuer certificate',
    'unable to verify the first certificate',
  ])('an unknown CA (%s) names the connection and what it trusts', (message) => {
    const error = describeConnectFailure(handshakeError(message), CONNECTION);
    expect(error).toBeInstanceOf(OpsdeckError);
    expect(error).toMatchObject({
      code: ErrorCode.MysqlTlsUnknownCa,
      retryable: false,
      message: `${WHERE}: the server's certificate is not signed by a CA this connection trusts (${message}); trusted: /etc/opsdeck/rds-global-bundle.pem`,
    });
  });

  it("a certificate for another name says which names it holds (Node's reason)", () => {
    const reason =
      "Host: billing.abc123.eu-west-1.rds.amazonaws.com. is not in the cert's altnames: DNS:other.example.com";
    const error = describeConnectFailure(
      handshakeError(`Hostname/IP does not match certificate's altnames: ${reason}`, {
        reason,
        host: CONNECTION.host,
        cert: {},
      }),
      CONNECTION,
    );
    expect(error).toMatchObject({
      code: ErrorCode.MysqlTlsNameMismatch,
      message: `${WHERE}: the server's certificate does not name ${CONNECTION.host} (${reason}); connect by a name the certificate holds (an RDS endpoint, not its IP address)`,
    });
  });

  it('a server without TLS, and a server that requires it, say what to change', () => {
    const noTls = Object.assign(new Error('Server does not support secure connection'), {
      code: 'HANDSHAKE_NO_SSL_SUPPORT',
    });
    expect(describeConnectFailure(noTls, CONNECTION)).toMatchObject({
      code: ErrorCode.MysqlTlsNotOffered,
      message: expect.stringMatching(
        /^MySQL connection databases\.billing \(.*\): the server does not offer TLS and tls\.mode is verify-identity/,
      ),
    });
    const required = Object.assign(
      new Error(
        'Connections using insecure transport are prohibited while --require_secure_transport=ON.',
      ),
      { code: 'ER_SECURE_TRANSPORT_REQUIRED', errno: 3159 },
    );
    expect(
      describeConnectFailure(required, { ...CONNECTION, tls: { mode: 'disabled', trusts: '' } }),
    ).toMatchObject({
      code: ErrorCode.MysqlTlsRequiredByServer,
      message: expect.stringContaining('require_secure_transport=ON) and tls.mode is disabled'),
    });
  });

  it('another TLS failure (an expired certificate) keeps the TLS text', () => {
    expect(
      describeConnectFailure(handshakeError('certificate has expired'), CONNECTION),
    ).toMatchObject({
      code: ErrorCode.MysqlTlsFailed,
      message: `${WHERE}: TLS failed: certificate has expired`,
    });
  });

  it('keeps the original error as the cause and leaves every other failure as it was', () => {
    const original = handshakeError('unable to get local issuer certificate');
    expect((describeConnectFailure(original, CONNECTION) as Error).cause).toBe(original);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeConnectFailure(refused, CONNECTION)).toBe(refused);
    const denied = Object.assign(new Error('Access denied'), { errno: 1045 });
    expect(describeConnectFailure(denied, CONNECTION)).toBe(denied);
    const coded = new OpsdeckError(ErrorCode.MysqlTlsFailed, 'already described');
    expect(describeConnectFailure(coded, CONNECTION)).toBe(coded);
  });

  it('always returns a coded TLS error for any handshake failure text', () => {
    const codes = new Set<string>([
      ErrorCode.MysqlTlsUnknownCa,
      ErrorCode.MysqlTlsNameMismatch,
      ErrorCode.MysqlTlsFailed,
    ]);
    fc.assert(
      fc.property(fc.string(), (message) => {
        const error = describeConnectFailure(handshakeError(message), CONNECTION);
        expect(error).toBeInstanceOf(OpsdeckError);
        expect(codes.has((error as OpsdeckError).code)).toBe(true);
        expect((error as Error).message.startsWith(`${WHERE}: `)).toBe(true);
      }),
    );
  });
});
