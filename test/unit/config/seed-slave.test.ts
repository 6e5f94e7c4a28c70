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
    });
    expect(config.seedSlave.retentionHours).toBe(72);
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
