import { parseConfig } from '../../../src/config/load-config';
import { configRefusal } from '../../helpers/config-refusal';

const BILLING = `databases:
  billing:
    instance: billing-prod-1
    user: opsdeck
    passwordEnv: BILLING_DB_PASSWORD
restoreTable:
  workerCidr: 10.0.5.17/32
`;

const REPLICA = `replicas:
  onprem-db1:
    host: db1.dc1.example.com
    user: opsdeck
    passwordEnv: ONPREM_DB1_PASSWORD
    source: billing
    replicationUser: repl
    replicationPasswordEnv: BILLING_REPL_PASSWORD
    sourceCaFile: /etc/mysql/rds-global-bundle.pem
`;

describe('replicas and seedSlave config', () => {
  it('defaults to no replicas and the documented seedSlave defaults', () => {
    const config = parseConfig('');
    expect(config.replicas).toEqual({});
    expect(config.seedSlave).toEqual({
      retentionHours: 168,
      maxWaitMinutes: 180,
      catchUpMinutes: 720,
      pollSeconds: 30,
      parallelism: 4,
    });
  });

  it('accepts a replica of a configured database, port 3306 by default', () => {
    const config = parseConfig(BILLING + REPLICA + 'seedSlave: { retentionHours: 72 }\n');
    expect(config.replicas['onprem-db1']).toEqual({
      host: 'db1.dc1.example.com',
      port: 3306,
      user: 'opsdeck',
      passwordEnv: 'ONPREM_DB1_PASSWORD',
      source: 'billing',
      replicationUser: 'repl',
      replicationPasswordEnv: 'BILLING_REPL_PASSWORD',
      tls: { mode: 'verify-identity' },
      sourceTls: 'verify-identity',
      sourceCaFile: '/etc/mysql/rds-global-bundle.pem',
    });
    expect(config.seedSlave.retentionHours).toBe(72);
  });

  it('has the replication channel verify the source by default, which needs the CA on the replica host', () => {
    const withoutCa = REPLICA.replace('    sourceCaFile: /etc/mysql/rds-global-bundle.pem\n', '');
    expect(configRefusal(BILLING + withoutCa)).toContain(
      'replicas.onprem-db1.sourceCaFile: is needed with sourceTls verify-identity: the path, on the replica host, of the CA bundle',
    );
    expect(configRefusal(BILLING + withoutCa)).toContain(
      'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem',
    );
    // Plain is allowed when asked for, but then a CA file makes no sense.
    expect(
      parseConfig(BILLING + withoutCa + '    sourceTls: disabled\n').replicas['onprem-db1'],
    ).toMatchObject({ sourceTls: 'disabled' });
    expect(configRefusal(BILLING + REPLICA + '    sourceTls: disabled\n')).toContain(
      'replicas.onprem-db1.sourceCaFile: is only used with TLS',
    );
    expect(
      parseConfig(BILLING + withoutCa + '    sourceTls: required\n').replicas['onprem-db1'],
    ).toMatchObject({ sourceTls: 'required' });
    expect(configRefusal(BILLING + REPLICA + '    sourceTls: maybe\n')).toContain(
      'replicas.onprem-db1.sourceTls',
    );
    expect(
      configRefusal(
        BILLING +
          REPLICA.replace(
            'sourceCaFile: /etc/mysql/rds-global-bundle.pem',
            'sourceCaFile: "/etc/ca.pem\\nMASTER_HOST=x"',
          ),
      ),
    ).toContain('replicas.onprem-db1.sourceCaFile: must be a file path on the replica host');
  });

  it("takes the replica's own TLS like every MySQL connection", () => {
    const config = parseConfig(
      BILLING + REPLICA + '    tls: { mode: required, caFile: /etc/opsdeck/dc1-ca.pem }\n',
    );
    expect(config.replicas['onprem-db1']!.tls).toEqual({
      mode: 'required',
      caFile: '/etc/opsdeck/dc1-ca.pem',
    });
    expect(configRefusal(BILLING + REPLICA + '    tls: { mode: plain }\n')).toContain(
      'replicas.onprem-db1.tls.mode',
    );
  });

  it('refuses a replica whose source is not a configured database', () => {
    expect(configRefusal(REPLICA)).toContain(
      'replicas.onprem-db1.source: names billing, which is not in `databases`',
    );
  });

  it.each([
    ['host: "db1; DROP"', 'replicas.onprem-db1.host: must be a host name or an IPv4 address'],
    [
      'replicationUser: "re\'pl"',
      'replicas.onprem-db1.replicationUser: must be a MySQL account name',
    ],
    [
      'passwordEnv: secret-pw',
      'replicas.onprem-db1.passwordEnv: must be the NAME of an environment variable',
    ],
    ['port: 70000', 'replicas.onprem-db1.port'],
  ])('refuses a replica with %s', (line, message) => {
    const [key] = line.split(':');
    const yaml = REPLICA.split('\n')
      .filter((l) => !l.trim().startsWith(`${key}:`))
      .join('\n')
      .replace('    source: billing', `    source: billing\n    ${line}`);
    expect(configRefusal(BILLING + yaml)).toContain(message);
  });

  it('refuses a replica name users could not type, and retention RDS does not allow', () => {
    expect(configRefusal(BILLING + REPLICA.replace('onprem-db1', 'OnPrem_1'))).toContain(
      'replicas.OnPrem_1',
    );
    expect(configRefusal(BILLING + REPLICA + 'seedSlave: { retentionHours: 169 }\n')).toContain(
      'seedSlave.retentionHours',
    );
  });
});
