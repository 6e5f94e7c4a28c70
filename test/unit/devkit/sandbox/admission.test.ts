import { admit, cidrHolds, groupMembers } from '../../../../devkit/sandbox/network/admission';
import type {
  DbInstanceRecord,
  Ec2InstanceRecord,
  SandboxState,
  SecurityGroupRuleRecord,
} from '../../../../devkit/sandbox/state-store';

function state(
  rules: Partial<SecurityGroupRuleRecord>[],
  ec2: Partial<Ec2InstanceRecord>[] = [],
  rds: Partial<DbInstanceRecord>[] = [],
): SandboxState {
  const base = {
    groupId: 'sg-db',
    isEgress: false,
    ipProtocol: 'tcp',
    fromPort: 3306,
    toPort: 3306,
    tags: [],
  };
  return {
    version: 1,
    replicationPassword: 'x',
    rds: {
      instances: Object.fromEntries(
        rds.map((r, i) => [`db${i}`, { vpcSecurityGroupIds: [], ...r } as DbInstanceRecord]),
      ),
      nextServerId: 1,
    },
    ec2: {
      vpcId: 'vpc-1',
      subnetId: 'subnet-1',
      securityGroups: {},
      rules: Object.fromEntries(
        rules.map((r, i) => [
          `sgr-${i}`,
          { ...base, ruleId: `sgr-${i}`, ...r } as SecurityGroupRuleRecord,
        ]),
      ),
      instances: Object.fromEntries(
        ec2.map((e, i) => [
          `i-${i}`,
          { securityGroupIds: [], state: 'running', ...e } as Ec2InstanceRecord,
        ]),
      ),
    },
    route53: { zones: {}, changes: {} },
  };
}

const attempt = (client: string, port = 3306) => ({ groupIds: ['sg-db'], port, client });

describe('security-group admission of a connection (the sandbox gate)', () => {
  it('admits by CIDR on a tcp rule whose port range holds the port, names the rule', () => {
    const s = state([{ cidrIpv4: '127.3.0.0/24', fromPort: 3300, toPort: 3310 }]);
    expect(admit(s, attempt('127.3.0.7'))).toEqual({
      admitted: true,
      groupId: 'sg-db',
      ruleId: 'sgr-0',
    });
    expect(admit(s, attempt('127.3.1.7')).admitted).toBe(false);
    expect(admit(s, attempt('127.3.0.7', 3311)).admitted).toBe(false);
  });

  it('refuses what no rule admits: udp, egress, another group, a missing group list', () => {
    const s = state([
      { cidrIpv4: '0.0.0.0/0', ipProtocol: 'udp' },
      { cidrIpv4: '0.0.0.0/0', isEgress: true, ipProtocol: '-1' },
      { cidrIpv4: '0.0.0.0/0', groupId: 'sg-other' },
    ]);
    expect(admit(s, attempt('127.0.0.1'))).toEqual({
      admitted: false,
      reason: 'no inbound rule of sg-db admits 127.0.0.1 on tcp/3306',
    });
    expect(admit(s, { groupIds: [], port: 3306, client: '127.0.0.1' })).toMatchObject({
      admitted: false,
      reason: 'no inbound rule of none admits 127.0.0.1 on tcp/3306',
    });
  });

  it('every protocol (-1) covers every port; 0.0.0.0/0 every IPv4 address, never an IPv6 one', () => {
    const s = state([{ cidrIpv4: '0.0.0.0/0', ipProtocol: '-1', fromPort: -1, toPort: -1 }]);
    expect(admit(s, attempt('127.9.9.9', 1)).admitted).toBe(true);
    expect(admit(s, attempt('::1')).admitted).toBe(false);
    expect(admit(s, attempt('::ffff:127.0.0.1')).admitted).toBe(false);
  });

  it('admits members of a source group: running EC2 instances and DB instances, by address', () => {
    const s = state(
      [{ referencedGroupId: 'sg-app' }],
      [
        { privateIpAddress: '127.0.1.2', securityGroupIds: ['sg-app'] },
        { privateIpAddress: '127.0.1.3', securityGroupIds: ['sg-app'], state: 'terminated' },
        { privateIpAddress: '127.0.1.4', securityGroupIds: ['sg-web'] },
      ],
      [{ address: '127.2.0.5', vpcSecurityGroupIds: ['sg-app'] }],
    );
    expect(groupMembers(s, 'sg-app').sort()).toEqual(['127.0.1.2', '127.2.0.5']);
    expect(admit(s, attempt('127.0.1.2')).admitted).toBe(true);
    expect(admit(s, attempt('127.2.0.5')).admitted).toBe(true);
    expect(admit(s, attempt('127.0.1.3')).admitted).toBe(false);
    expect(admit(s, attempt('127.0.1.4')).admitted).toBe(false);
  });

  it('reads a CIDR strictly: malformed ones hold nothing', () => {
    expect(cidrHolds('127.0.0.0/8', '127.255.0.1')).toBe(true);
    expect(cidrHolds('127.0.0.1', '127.0.0.1')).toBe(true);
    for (const bad of ['127.0.0.0/33', 'x/8', '', '127.0.0.0/-1', '300.0.0.0/8'])
      expect(cidrHolds(bad, '127.0.0.1')).toBe(false);
    expect(cidrHolds('127.0.0.0/8', 'not-an-address')).toBe(false);
  });
});
