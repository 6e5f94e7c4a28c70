import { parseConfig } from '../../../src/config/load-config';
import { readSecrets } from '../../../src/config/secrets';
import { ErrorCode } from '../../../src/errors';
import { redactText } from '../../../src/log/redact';
import { WorkSigner } from '../../../src/util/work-signature';

/** Every process needs the key that signs queued work (queue.signingKeyEnv). */
const KEY = { OPSDECK_QUEUE_KEY: 'unit-queue-key-0123456789abcdef-0123456789' };

describe('readSecrets', () => {
  const SLACK = { SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_SIGNING_SECRET: 'sign-1', ...KEY };

  it('needs only the Slack secrets and the queue key with the defaults', () => {
    expect(readSecrets(parseConfig(''), SLACK)).toEqual({
      botToken: 'xoxb-1-2-3',
      signingSecret: 'sign-1',
      workSigner: expect.any(WorkSigner),
      databasePasswords: {},
      replicaPasswords: {},
    });
    expect(() => readSecrets(parseConfig(''), KEY)).toThrow(/SLACK_BOT_TOKEN is not set/);
  });

  it("reads each configured database's password from the variable it names", () => {
    const config = parseConfig(
      [
        'databases: { billing: { instance: billing-1, user: opsdeck, passwordEnv: BILLING_PW } }',
        'restoreTable: { workerCidr: 10.0.0.0/24 }',
      ].join('\n'),
    );
    expect(readSecrets(config, { ...SLACK, BILLING_PW: 'pw-1' }).databasePasswords).toEqual({
      billing: 'pw-1',
    });
    expect(() => readSecrets(config, SLACK)).toThrow(
      expect.objectContaining({
        code: ErrorCode.SecretMissing,
        message: 'environment variable BILLING_PW is not set (databases.billing.passwordEnv)',
      }),
    );
  });

  it("reads each replica's admin and replication passwords from the variables it names", () => {
    const config = parseConfig(
      [
        'databases: { billing: { instance: billing-1, user: opsdeck, passwordEnv: BILLING_PW } }',
        'restoreTable: { workerCidr: 10.0.0.0/24 }',
        'replicas:',
        '  onprem-db1: { host: db1.dc1.example.com, user: opsdeck, passwordEnv: DB1_PW, source: billing, replicationUser: repl, replicationPasswordEnv: REPL_PW, sourceTls: disabled }',
      ].join('\n'),
    );
    const env = { ...SLACK, BILLING_PW: 'pw-1', DB1_PW: 'pw-2', REPL_PW: 'repl-secret-3' };
    expect(readSecrets(config, env).replicaPasswords).toEqual({
      'onprem-db1': { admin: 'pw-2', replication: 'repl-secret-3' },
    });
    expect(() => readSecrets(config, { ...SLACK, BILLING_PW: 'pw-1', DB1_PW: 'pw-2' })).toThrow(
      expect.objectContaining({
        code: ErrorCode.SecretMissing,
        message:
          'environment variable REPL_PW is not set (replicas.onprem-db1.replicationPasswordEnv)',
      }),
    );
    expect(redactText('CHANGE MASTER TO SOURCE_PASSWORD=repl-secret-3')).not.toContain(
      'repl-secret-3',
    );
  });

  it('http mode needs the signing secret and bot token, by the names the config gives', () => {
    const config = parseConfig('slack: { mode: http, signingSecretEnv: SIGN, botTokenEnv: BOT }');
    expect(() => readSecrets(config, { BOT: 'xoxb-1-2-3', ...KEY })).toThrow(
      expect.objectContaining({
        code: ErrorCode.SecretMissing,
        message: 'environment variable SIGN is not set (slack.signingSecretEnv)',
      }),
    );
    const secrets = readSecrets(config, {
      BOT: 'xoxb-1111-2222-abcd',
      SIGN: 'f00dfeedcafebeef',
      ...KEY,
    });
    expect(secrets).toMatchObject({
      botToken: 'xoxb-1111-2222-abcd',
      signingSecret: 'f00dfeedcafebeef',
    });
    expect(secrets.appToken).toBeUndefined();
    // registered with the redaction layer
    expect(redactText('signed with f00dfeedcafebeef')).toBe('signed with [REDACTED]');
  });

  it('socket mode needs the app-level token instead of the signing secret', () => {
    const config = parseConfig('slack: { mode: socket }');
    expect(() => readSecrets(config, { SLACK_BOT_TOKEN: 'xoxb-1-2-3', ...KEY })).toThrow(
      /SLACK_APP_TOKEN is not set/,
    );
    expect(
      readSecrets(config, {
        SLACK_BOT_TOKEN: 'xoxb-1-2-3',
        SLACK_APP_TOKEN: 'xapp-1-A1-99-abcdef',
        ...KEY,
      }),
    ).toMatchObject({
      appToken: 'xapp-1-A1-99-abcdef',
    });
  });

  it('reads the dashboard credentials when a dashboard is configured', () => {
    const config = parseConfig('http: { dashboard: { userEnv: DU, passwordEnv: DP } }');
    expect(() => readSecrets(config, { ...SLACK, DU: 'ops' })).toThrow(/DP is not set/);
    expect(
      readSecrets(config, { ...SLACK, DU: 'ops', DP: 'long-dashboard-password' }).dashboard,
    ).toEqual({
      user: 'ops',
      password: 'long-dashboard-password',
    });
  });

  it('reads a separate admin credential for the dashboard that changes jobs, and refuses a shared one', () => {
    const config = parseConfig(
      'http: { dashboard: { userEnv: DU, passwordEnv: DP, admin: { userEnv: AU, passwordEnv: AP } } }',
    );
    const env = { ...SLACK, DU: 'ops', DP: 'long-dashboard-password', AU: 'admin' };
    expect(() => readSecrets(config, env)).toThrow(/AP is not set/);
    expect(readSecrets(config, { ...env, AP: 'another-long-password' }).dashboard).toEqual({
      user: 'ops',
      password: 'long-dashboard-password',
      admin: { user: 'admin', password: 'another-long-password' },
    });
    expect(() => readSecrets(config, { ...env, AP: 'long-dashboard-password' })).toThrow(
      'http.dashboard.admin: the admin credential must be a separate one',
    );
  });
});
