import { parseConfig } from '../../../src/config/load-config';
import { configRefusal } from '../../helpers/config-refusal';
import { RestoreTableConfig } from '../../../src/config/restore-table';

const BILLING = `databases:
  billing-prod:
    instance: billing-prod-1
    user: opsdeck
    passwordEnv: BILLING_DB_PASSWORD
`;

describe('restoreTable and databases config', () => {
  it('defaults to no databases and a restoreTable section with its documented defaults', () => {
    const config = parseConfig('');
    expect(config.databases).toEqual({});
    expect(config.restoreTable).toEqual({
      securityGroupIds: [],
      maxWaitMinutes: 180,
      pollSeconds: 30,
      parallelism: 4,
      sampleSize: 10,
      sweepIntervalMinutes: 30,
    });
  });

  it('accepts databases with the workers given by CIDR, and lowercases the instance id as RDS does', () => {
    const config = parseConfig(
      `databases:
  billing-prod:
    instance: Billing-Prod-1
    user: opsdeck
    passwordEnv: BILLING_DB_PASSWORD
restoreTable:
  workerCidr: 10.0.5.17/32
  securityGroupIds: [sg-0123abcd, sg-0123456789abcdef0]
  instanceClass: db.r6g.large
  maxWaitMinutes: 60
`,
    );
    expect(config.databases).toEqual({
      'billing-prod': {
        instance: 'billing-prod-1',
        user: 'opsdeck',
        passwordEnv: 'BILLING_DB_PASSWORD',
        // RDS databases are reached over TLS, certificate and name checked, unless set otherwise.
        tls: { mode: 'verify-identity' },
      },
    });
    expect(config.restoreTable).toMatchObject({
      workerCidr: '10.0.5.17/32',
      securityGroupIds: ['sg-0123abcd', 'sg-0123456789abcdef0'],
      instanceClass: 'db.r6g.large',
      maxWaitMinutes: 60,
    });
  });

  it('accepts databases with the workers given by security group', () => {
    const config = parseConfig(`${BILLING}restoreTable:\n  workerSecurityGroupId: sg-0123abcd\n`);
    expect(config.restoreTable.workerSecurityGroupId).toBe('sg-0123abcd');
    expect(config.restoreTable.workerCidr).toBeUndefined();
  });

  it.each(['0.0.0.0/0', '10.0.0.0/8', '255.255.255.255/32', '192.168.1.0/24'])(
    'accepts the CIDR %s',
    (cidr) => {
      expect(RestoreTableConfig.parse({ workerCidr: cidr }).workerCidr).toBe(cidr);
    },
  );

  it.each([
    '10.0.5.300/32',
    '10.0.5.17/33',
    '10.0.5.17',
    '10.0.5/24',
    '10.0.5.17/',
    '::1/128',
    '10.0.5.17/32 ',
    'any',
  ])('refuses the CIDR %j, saying what a CIDR looks like', (cidr) => {
    expect(configRefusal(`restoreTable:\n  workerCidr: "${cidr}"\n`)).toBe(
      `opsdeck.yaml: invalid configuration\n  restoreTable.workerCidr: must be an IPv4 CIDR like 10.0.5.17/32, got ${JSON.stringify(cidr)}`,
    );
  });

  it.each(['sg-123', 'sg-0123ABCD', 'sg_0123abcd', '0123abcd', 'sg-0123456789abcdef01'])(
    'refuses the security group id %j',
    (id) => {
      expect(configRefusal(`restoreTable:\n  workerSecurityGroupId: ${id}\n`)).toContain(
        `restoreTable.workerSecurityGroupId: must be a security group id (sg-...), got "${id}"`,
      );
    },
  );

  it('names the position of a bad security group in the list', () => {
    expect(configRefusal('restoreTable:\n  securityGroupIds: [sg-0123abcd, nope]\n')).toContain(
      'restoreTable.securityGroupIds.1: must be a security group id (sg-...), got "nope"',
    );
  });

  it('refuses both workerCidr and workerSecurityGroupId: the rule has one source', () => {
    expect(
      configRefusal(
        'restoreTable:\n  workerCidr: 10.0.5.17/32\n  workerSecurityGroupId: sg-0123abcd\n',
      ),
    ).toContain('restoreTable: give workerCidr or workerSecurityGroupId, not both');
  });

  it('refuses databases without a restoreTable section, saying where the workers must be named', () => {
    expect(configRefusal(BILLING)).toBe(
      'opsdeck.yaml: invalid configuration\n  restoreTable: with databases configured, say where the workers connect from: workerCidr or workerSecurityGroupId',
    );
  });

  it('refuses databases with a restoreTable section that names no worker source', () => {
    expect(configRefusal(`${BILLING}restoreTable:\n  maxWaitMinutes: 10\n`)).toMatch(
      /^opsdeck\.yaml: invalid configuration\n {2}restoreTable: with databases configured, say where the workers connect from: workerCidr or workerSecurityGroupId/,
    );
  });

  it('does not ask for a worker source when there are no databases', () => {
    expect(parseConfig('databases: {}\n').restoreTable.workerCidr).toBeUndefined();
  });

  it.each(['billing--prod', '1billing', 'billing-', 'billing_prod', 'a'.repeat(64), ''])(
    'refuses the instance id %j',
    (id) => {
      expect(
        configRefusal(
          `databases:\n  billing:\n    instance: "${id}"\n    user: opsdeck\n    passwordEnv: PW\nrestoreTable:\n  workerCidr: 10.0.0.0/8\n`,
        ),
      ).toContain(`databases.billing.instance: must be an RDS DB instance identifier, got "${id}"`);
    },
  );

  it.each(['billing_pw', 'BILLING-PW', '1PW', 'hunter2!'])(
    'refuses the passwordEnv %j, which is not the name of an environment variable',
    (name) => {
      expect(
        configRefusal(
          `databases:\n  billing:\n    instance: billing-1\n    user: opsdeck\n    passwordEnv: "${name}"\nrestoreTable:\n  workerCidr: 10.0.0.0/8\n`,
        ),
      ).toContain(
        `databases.billing.passwordEnv: must be the NAME of an environment variable (A-Z, 0-9, _), got "${name}"`,
      );
    },
  );

  it('refuses a password written into the config instead of an env var name', () => {
    expect(
      configRefusal(
        `databases:\n  billing:\n    instance: billing-1\n    user: opsdeck\n    passwordEnv: PW\n    password: hunter2\nrestoreTable:\n  workerCidr: 10.0.0.0/8\n`,
      ),
    ).toContain('databases.billing.password: unknown setting');
  });

  it('names a missing user of a database', () => {
    expect(
      configRefusal(
        `databases:\n  billing:\n    instance: billing-1\n    passwordEnv: PW\nrestoreTable:\n  workerCidr: 10.0.0.0/8\n`,
      ),
    ).toContain('databases.billing.user: expected string, got nothing');
  });

  it.each(['Billing', '1billing', 'billing_prod', 'b'.repeat(41)])(
    'refuses the database name %j with the rule for names',
    (name) => {
      expect(
        configRefusal(
          `databases:\n  ${name}:\n    instance: billing-1\n    user: opsdeck\n    passwordEnv: PW\nrestoreTable:\n  workerCidr: 10.0.0.0/8\n`,
        ),
      ).toBe(
        `opsdeck.yaml: invalid configuration\n  databases.${name}: must be a database name for commands: a-z, 0-9 and -, starting with a letter`,
      );
    },
  );

  it.each([
    ['maxWaitMinutes: 0', 'restoreTable.maxWaitMinutes'],
    ['maxWaitMinutes: 1441', 'restoreTable.maxWaitMinutes'],
    ['maxWaitMinutes: 1.5', 'restoreTable.maxWaitMinutes'],
    ['parallelism: 17', 'restoreTable.parallelism'],
    ['sampleSize: -1', 'restoreTable.sampleSize'],
    ['pollSeconds: 0.1', 'restoreTable.pollSeconds'],
    [
      'securityGroupIds: [sg-00000001, sg-00000002, sg-00000003, sg-00000004, sg-00000005, sg-00000006]',
      'restoreTable.securityGroupIds',
    ],
    ['workerCIDR: 10.0.0.0/8', 'restoreTable.workerCIDR: unknown setting'],
  ])('refuses %j, naming %s', (setting, path) => {
    expect(configRefusal(`restoreTable:\n  ${setting}\n`)).toContain(`\n  ${path}`);
  });
});
